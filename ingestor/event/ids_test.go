package event

import (
	"testing"

	"github.com/google/uuid"
)

func TestEncodeUUID(t *testing.T) {
	for range 10 {
		u := uuid.Must(uuid.NewV7())
		var text [uuidLen]byte
		encodeUUID(&text, u)
		if string(text[:]) != u.String() {
			t.Fatalf("encodeUUID = %s, want %s", text, u)
		}
	}
}
