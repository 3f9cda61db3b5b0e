package event

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
)

// Values embedded in an event are accepted exactly when encoding/json
// accepts them, except for the stricter Unicode checks.
func TestScannerAgreesWithEncodingJSON(t *testing.T) {
	values := []string{
		`0`, `-0`, `1`, `-1`, `10`, `1.5`, `-1.5e10`, `1E+2`, `1e-2`, `123456789012345678901234567890`,
		`01`, `-01`, `1.`, `.1`, `1e`, `1e+`, `-`, `+1`, `1.e1`, `0x1`, `1_000`, `--1`, `1ee1`, `0.0.0`,
		`true`, `false`, `null`, `tru`, `nul`, `fals`, `TRUE`, `truex`, `nulll`,
		`""`, `"a"`, `"\""`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u0000"`, `"\uFFFF"`, `"\ud83d\ude00"`,
		`"\a"`, `"\u"`, `"\u00"`, `"\u00zz"`, `"\U0041"`, "\"\x00\"", "\"\x1f\"", "\"\x7f\"", `"`, `"\`,
		"\"日本語\"", "\"\U0001F600\"",
		`[]`, `[1]`, `[1,2]`, `[ 1 , 2 ]`, `[[[]]]`, `[1,]`, `[,1]`, `[1 2]`, `[`, `]`,
		`{}`, `{"a":1}`, `{"a":{"b":[]}}`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{1:1}`, `{"a":1 "b":2}`, `{`, `}`,
		" \t\n\r1", "1 \t\n\r",
	}
	p := newTestParser(t, func(c *Config) { c.MaxDepth = 10 })
	for _, v := range values {
		body := []byte(`{"user_id":"u","v":` + v + `}`)
		_, err := p.ParseBytes(body, ctJSON)
		valid := json.Valid(body)
		switch {
		case err == nil && !valid:
			t.Errorf("%s: accepted, encoding/json rejects it", v)
		case err != nil && valid:
			t.Errorf("%s: rejected (%v), encoding/json accepts it", v, err)
		}
	}
}

func TestScanErrorPositions(t *testing.T) {
	s := scanner{buf: []byte(`{"a":[1,2,}`), maxDepth: 5, fields: newTestParser(t, nil).fields}
	_, err := s.event(0)
	var se *scanError
	if !errors.As(err, &se) || se.off != 10 || se.reason != ReasonMalformedJSON {
		t.Fatalf("error = %#v, want malformed_json at offset 10", err)
	}
	if want := "invalid character '}' looking for beginning of value"; se.msg != want {
		t.Errorf("message = %q, want %q", se.msg, want)
	}
}

// matchShort, which compares names packed into words, agrees with match for
// every name without escapes of fewer than 8 bytes.
func TestMatchShort(t *testing.T) {
	p := newTestParser(t, func(c *Config) { c.KeyField, c.IDField = "device.abcdefg", "a.abcdefgh" })
	s := scanner{fields: p.fields}
	names := []string{"", "a", "b", "ab", "device", "devic", "device\x00", "abcdefg", "abcdef", "bcdefg", "abcdefh"}
	for lvl := range 2 {
		for _, name := range names {
			var w [8]byte
			copy(w[:], name)
			// Whatever follows the name in the word must not matter.
			w[len(name)] = '"'
			for k := len(name) + 1; k < 8; k++ {
				w[k] = 'x'
			}
			x := binary.LittleEndian.Uint64(w[:])
			for active := range uint8(allFields + 1) {
				got := s.matchShort(active, lvl, x, len(name))
				if want := s.match(active, lvl, []byte(name), false); got != want {
					t.Errorf("matchShort(%b, %d, %q) = %b, match says %b", active, lvl, name, got, want)
				}
			}
		}
	}
}
