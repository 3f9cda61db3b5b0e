package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// fuzzParsers returns parsers with a top-level and a nested key.
func fuzzParsers(t testing.TB) []*Parser {
	return []*Parser{
		newTestParser(t, func(c *Config) { c.MaxBatch = 100; c.MaxEventBytes = 4096; c.MaxDepth = 8 }),
		newTestParser(t, func(c *Config) {
			c.KeyField, c.IDField = "device.serial", "meta.id"
			c.MaxBatch, c.MaxEventBytes, c.MaxDepth = 100, 4096, 8
		}),
	}
}

var fuzzSeeds = []string{
	`{"id":"123","user_id":"1","action_data":{"type":"knob","left":"5"}}`,
	`[{"id":1,"user_id":2},{"user_id":"x"}]`,
	`{"user\u005fid":"\ud83d\ude00","id":"\"q\""}`,
	`{"user_id":"a","user_id":"b","id":null}`,
	`{"device":{"serial":"s1"},"meta":{"id":7},"device":{"serial":"s2"}}`,
	`{"device":"d","user_id":true}`,
	`{"user_id":-1.5e-3,"a":[true,false,null,{},[]]}`,
	`{"user_id":"\ud800"}`,
	"{\"user_id\":\"\xff\"}",
	`{"user_id":01}`,
	`[]`,
	`"str"`,
	` {"user_id":"u"} `,
}

// FuzzParse cross-checks JSON bodies against encoding/json: Parse must
// reject what encoding/json rejects, must not call valid JSON malformed, and
// every accepted event must be valid JSON whose id and key, looked up with
// encoding/json (first occurrence wins), match the event's.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	parsers := fuzzParsers(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range parsers {
			events, err := p.ParseBytes(body, ctJSON)
			valid := json.Valid(body)
			if err != nil {
				checkFuzzError(t, err, valid)
				continue
			}
			if !valid {
				t.Fatalf("accepted %q, which encoding/json rejects", body)
			}
			trimmed := bytes.Trim(body, " \t\r\n")
			if trimmed[0] == '{' && (len(events) != 1 || !bytes.Equal(events[0].Raw, trimmed)) {
				t.Fatalf("single object %q: got %d events", body, len(events))
			}
			for _, ev := range events {
				checkFuzzEvent(t, p, ev)
			}
		}
	})
}

// FuzzParseNDJSON checks NDJSON bodies line by line against encoding/json.
func FuzzParseNDJSON(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s + "\n" + s))
	}
	f.Add([]byte("{\"user_id\":1}\r\n\r\n  \n{\"user_id\":2}"))
	f.Add([]byte("{\"user_id\":\n1}"))
	parsers := fuzzParsers(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var lines [][]byte
		allValid := true
		for line := range bytes.SplitSeq(body, []byte("\n")) {
			if line = bytes.Trim(line, " \t\r"); len(line) > 0 {
				lines = append(lines, line)
				allValid = allValid && json.Valid(line)
			}
		}
		for _, p := range parsers {
			events, err := p.ParseBytes(body, ctNDJSON)
			if err != nil {
				checkFuzzError(t, err, allValid)
				continue
			}
			if !allValid {
				t.Fatalf("accepted %q, which has a line encoding/json rejects", body)
			}
			if len(events) != len(lines) {
				t.Fatalf("%q: got %d events for %d lines", body, len(events), len(lines))
			}
			for i, ev := range events {
				if !bytes.Equal(ev.Raw, lines[i]) {
					t.Fatalf("event %d: Raw = %q, want line %q", i, ev.Raw, lines[i])
				}
				checkFuzzEvent(t, p, ev)
			}
		}
	})
}

// checkFuzzError checks a rejection; valid reports whether encoding/json
// accepts the input.
func checkFuzzError(t *testing.T, err error, valid bool) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if e.Status != StatusOf(e.Reason) || e.Message == "" {
		t.Fatalf("inconsistent error %+v", e)
	}
	if valid && e.Reason == ReasonMalformedJSON {
		t.Fatalf("valid JSON rejected as malformed: %v", e)
	}
}

// checkFuzzEvent checks an accepted event against encoding/json.
func checkFuzzEvent(t *testing.T, p *Parser, ev Event) {
	t.Helper()
	if !json.Valid(ev.Raw) || ev.Raw[0] != '{' {
		t.Fatalf("Raw %q is not a valid JSON object", ev.Raw)
	}
	key, ok := lookupFirst(ev.Raw, strings.Split(p.cfg.KeyField, "."))
	if !ok {
		t.Fatalf("%s: encoding/json finds no key", ev.Raw)
	}
	if got, want := string(ev.Key), scalarText(t, key); got != want {
		t.Fatalf("%s: Key = %q, encoding/json says %q", ev.Raw, got, want)
	}
	id, ok := lookupFirst(ev.Raw, strings.Split(p.cfg.IDField, "."))
	if ev.IDGenerated {
		if ok && string(id) != "null" {
			t.Fatalf("%s: generated an id, encoding/json finds %s", ev.Raw, id)
		}
		return
	}
	if !ok {
		t.Fatalf("%s: ID = %q, encoding/json finds no id", ev.Raw, ev.ID)
	}
	if want := scalarText(t, id); ev.ID != want {
		t.Fatalf("%s: ID = %q, encoding/json says %q", ev.Raw, ev.ID, want)
	}
}

// lookupFirst finds the value of a field path in a JSON object with
// encoding/json; the first occurrence of a name wins.
func lookupFirst(obj []byte, path []string) (json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if tok.(string) != path[0] {
			continue
		}
		if len(path) == 1 {
			return v, true
		}
		return lookupFirst(v, path[1:])
	}
	return nil, false
}

// scalarText returns the decoded content of a JSON string, or the literal
// text of another scalar.
func scalarText(t *testing.T, v json.RawMessage) string {
	t.Helper()
	if v[0] != '"' {
		return string(v)
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		t.Fatalf("decode %s: %v", v, err)
	}
	return s
}
