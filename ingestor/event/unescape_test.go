package event

import (
	"encoding/json"
	"testing"
)

func TestAppendUnescaped(t *testing.T) {
	tests := []string{
		`plain`, `a\"b`, `\\\/\b\f\n\r\t`, `\u0041\u00e9\u20ac`, `\ud83d\ude00`, `x\u0000y`, `日本\n語`, ``,
	}
	for _, raw := range tests {
		var want string
		if err := json.Unmarshal([]byte(`"`+raw+`"`), &want); err != nil {
			t.Fatal(err)
		}
		if got := string(appendUnescaped(nil, []byte(raw))); got != want {
			t.Errorf("appendUnescaped(%s) = %q, want %q", raw, got, want)
		}
		if !unescapedEqual([]byte(raw), []byte(want)) {
			t.Errorf("unescapedEqual(%s, %q) = false", raw, want)
		}
		if unescapedEqual([]byte(raw), []byte(want+"x")) {
			t.Errorf("unescapedEqual(%s, %q) = true", raw, want+"x")
		}
	}
}
