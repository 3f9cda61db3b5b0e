package controllers

import (
	"encoding/json"
	"fmt"
)

// convert copies in (a typed API value such as a corev1.Affinity taken from
// the spec) into a value of type T with the same JSON form (such as its
// apply configuration). Unset optional fields stay unset, so the result owns
// only what the user wrote.
func convert[T any](in any) (*T, error) {
	data, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", in, err)
	}
	out := new(T)
	if err := json.Unmarshal(data, out); err != nil {
		return nil, fmt.Errorf("decode %T into %T: %w", in, out, err)
	}
	return out, nil
}
