package event

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
)

const (
	ctJSON   = "application/json"
	ctNDJSON = "application/x-ndjson"
)

// newTestParser returns a Parser keyed by user_id with small limits, after
// applying edit to its config.
func newTestParser(t testing.TB, edit func(*Config)) *Parser {
	t.Helper()
	cfg := Config{KeyField: "user_id", MaxBodyBytes: 4096, MaxEventBytes: 512, MaxDepth: 5, MaxBatch: 5}
	if edit != nil {
		edit(&cfg)
	}
	p, err := NewParser(cfg)
	if err != nil {
		t.Fatalf("NewParser: %v", err)
	}
	return p
}

// want describes an expected event; an empty id means a generated one.
type want struct {
	id, key, raw string
}

func TestParseGood(t *testing.T) {
	tests := []struct {
		name string
		ct   string
		body string
		edit func(*Config)
		want []want
	}{
		{"object", ctJSON, `{"id":"a","user_id":"u1"}`, nil, []want{{"a", "u1", `{"id":"a","user_id":"u1"}`}}},
		{"empty content type", "", `{"id":"a","user_id":"u1"}`, nil, []want{{"a", "u1", `{"id":"a","user_id":"u1"}`}}},
		{"surrounding whitespace", ctJSON, " \r\n\t{\"user_id\" : \"u1\" , \"id\" : \"a\" }\n ", nil, []want{{"a", "u1", `{"user_id" : "u1" , "id" : "a" }`}}},
		{"charset", "application/json; charset=UTF-8", `{"id":"a","user_id":"u1"}`, nil, []want{{"a", "u1", `{"id":"a","user_id":"u1"}`}}},
		{"media type case and params", "Application/JSON; foo=bar", `{"id":"a","user_id":"u1"}`, nil, []want{{"a", "u1", `{"id":"a","user_id":"u1"}`}}},
		{"array", ctJSON, `[{"id":"a","user_id":"u1"}, {"id":"b","user_id":"u2"} ,{"id":"c","user_id":"u3"}]`, nil, []want{
			{"a", "u1", `{"id":"a","user_id":"u1"}`}, {"b", "u2", `{"id":"b","user_id":"u2"}`}, {"c", "u3", `{"id":"c","user_id":"u3"}`},
		}},
		{"array with whitespace", ctJSON, "[\n  {\"user_id\":1,\"id\":2}\n]\n", nil, []want{{"2", "1", `{"user_id":1,"id":2}`}}},
		{"ndjson", ctNDJSON, "{\"id\":\"a\",\"user_id\":\"u1\"}\n{\"id\":\"b\",\"user_id\":\"u2\"}\n", nil, []want{
			{"a", "u1", `{"id":"a","user_id":"u1"}`}, {"b", "u2", `{"id":"b","user_id":"u2"}`},
		}},
		{"ndjson no final newline", "application/jsonl", "{\"id\":\"a\",\"user_id\":\"u1\"}\n{\"id\":\"b\",\"user_id\":\"u2\"}", nil, []want{
			{"a", "u1", `{"id":"a","user_id":"u1"}`}, {"b", "u2", `{"id":"b","user_id":"u2"}`},
		}},
		{"ndjson crlf and blank lines", "application/x-ndjson; charset=utf-8", "\r\n{\"id\":\"a\",\"user_id\":\"u1\"}\r\n\r\n  \t\r\n {\"id\":\"b\",\"user_id\":\"u2\"} \r\n\n", nil, []want{
			{"a", "u1", `{"id":"a","user_id":"u1"}`}, {"b", "u2", `{"id":"b","user_id":"u2"}`},
		}},
		{"numeric key and id", ctJSON, `{"id":-12.5e+3,"user_id":0}`, nil, []want{{"-12.5e+3", "0", `{"id":-12.5e+3,"user_id":0}`}}},
		{"number key literal text", ctJSON, `{"id":1,"user_id":1.0E-2}`, nil, []want{{"1", "1.0E-2", `{"id":1,"user_id":1.0E-2}`}}},
		{"boolean key", ctJSON, `{"id":1,"user_id":false}`, nil, []want{{"1", "false", `{"id":1,"user_id":false}`}}},
		{"escaped key value", ctJSON, `{"id":"\u0061\"\\\/\b\f\n\r\t","user_id":"\u00e9\ud83d\ude00x"}`, nil, []want{
			{"a\"\\/\b\f\n\r\t", "é😀x", `{"id":"\u0061\"\\\/\b\f\n\r\t","user_id":"\u00e9\ud83d\ude00x"}`},
		}},
		{"escaped field name", ctJSON, `{"\u0069d":"a","user\u005fid":"u1"}`, nil, []want{{"a", "u1", `{"\u0069d":"a","user\u005fid":"u1"}`}}},
		{"escaped field name long", ctJSON, `{"` + strings.Repeat(`\u0061`, 80) + `":1,"user_id":"u1","id":"a"}`, nil, []want{
			{"a", "u1", `{"` + strings.Repeat(`\u0061`, 80) + `":1,"user_id":"u1","id":"a"}`},
		}},
		{"utf-8 values", ctJSON, `{"id":"日本","user_id":"ü","x":"€𝄞"}`, nil, []want{{"日本", "ü", `{"id":"日本","user_id":"ü","x":"€𝄞"}`}}},
		{"first duplicate wins", ctJSON, `{"user_id":"first","id":"a","user_id":"second","id":"b"}`, nil, []want{
			{"a", "first", `{"user_id":"first","id":"a","user_id":"second","id":"b"}`},
		}},
		{"nested fields not at top level", ctJSON, `{"a":{"user_id":"x","id":"y"},"b":[{"user_id":"z"}],"user_id":"u","id":"i"}`, nil, []want{
			{"i", "u", `{"a":{"user_id":"x","id":"y"},"b":[{"user_id":"z"}],"user_id":"u","id":"i"}`},
		}},
		{"nested key path", ctJSON, `{"device":{"model":"m","serial":"s1"},"user_id":"x"}`, func(c *Config) { c.KeyField = "device.serial" }, []want{
			{"", "s1", `{"device":{"model":"m","serial":"s1"},"user_id":"x"}`},
		}},
		{"nested key path first object wins", ctJSON, `{"device":{"serial":"s1"},"device":{"serial":"s2"}}`, func(c *Config) { c.KeyField = "device.serial" }, []want{
			{"", "s1", `{"device":{"serial":"s1"},"device":{"serial":"s2"}}`},
		}},
		{"nested id and key sharing a parent", ctJSON, `{"meta":{"id":"m1","user":7}}`, func(c *Config) { c.IDField = "meta.id"; c.KeyField = "meta.user" }, []want{
			{"m1", "7", `{"meta":{"id":"m1","user":7}}`},
		}},
		{"id and key same field", ctJSON, `{"user_id":"u1"}`, func(c *Config) { c.IDField = "user_id" }, []want{{"u1", "u1", `{"user_id":"u1"}`}}},
		{"id is a prefix of the key path", ctJSON, `{"d":{"s":"k"}}`, func(c *Config) { c.IDField = "d"; c.KeyField = "d.s" }, nil},
		{"missing id", ctJSON, `[{"user_id":"u1"},{"user_id":"u2","id":null}]`, nil, []want{
			{"", "u1", `{"user_id":"u1"}`}, {"", "u2", `{"user_id":"u2","id":null}`},
		}},
		{"custom id field", ctJSON, `{"event_id":"e1","id":"ignored","user_id":"u1"}`, func(c *Config) { c.IDField = "event_id" }, []want{
			{"e1", "u1", `{"event_id":"e1","id":"ignored","user_id":"u1"}`},
		}},
		{"all value types", ctJSON, `{"user_id":"u","a":[1,-0,0.5,1e9,2E-3,true,false,null,"s",{},[],{"b":[[]]}],"id":"a"}`, nil, []want{
			{"a", "u", `{"user_id":"u","a":[1,-0,0.5,1e9,2E-3,true,false,null,"s",{},[],{"b":[[]]}],"id":"a"}`},
		}},
		{"max depth", ctJSON, `{"user_id":"u","a":{"b":[{"c":[1]}]},"id":"a"}`, nil, []want{
			{"a", "u", `{"user_id":"u","a":{"b":[{"c":[1]}]},"id":"a"}`},
		}},
		{"max batch", ctNDJSON, strings.Repeat(`{"user_id":"u","id":"a"}`+"\n", 5), nil, []want{
			{"a", "u", `{"user_id":"u","id":"a"}`}, {"a", "u", `{"user_id":"u","id":"a"}`}, {"a", "u", `{"user_id":"u","id":"a"}`},
			{"a", "u", `{"user_id":"u","id":"a"}`}, {"a", "u", `{"user_id":"u","id":"a"}`},
		}},
		{"max event size", ctJSON, `{"user_id":"u","id":"a","p":"` + strings.Repeat("x", 512-32) + `"}`, nil, []want{
			{"a", "u", `{"user_id":"u","id":"a","p":"` + strings.Repeat("x", 512-32) + `"}`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestParser(t, tt.edit)
			events, err := p.ParseBytes([]byte(tt.body), tt.ct)
			if tt.want == nil { // "id is a prefix of the key path": the id is an object
				if err == nil {
					t.Fatal("ParseBytes succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBytes: %v", err)
			}
			checkEvents(t, events, tt.want)
		})
	}
}

func checkEvents(t *testing.T, events []Event, wants []want) {
	t.Helper()
	if len(events) != len(wants) {
		t.Fatalf("got %d events, want %d", len(events), len(wants))
	}
	for i, w := range wants {
		ev := events[i]
		if string(ev.Raw) != w.raw {
			t.Errorf("event %d: Raw = %s, want %s", i, ev.Raw, w.raw)
		}
		if string(ev.Key) != w.key {
			t.Errorf("event %d: Key = %q, want %q", i, ev.Key, w.key)
		}
		if w.id == "" {
			u, err := uuid.Parse(ev.ID)
			if !ev.IDGenerated || err != nil || u.Version() != 7 || u.String() != ev.ID {
				t.Errorf("event %d: ID = %q (generated %v), want a generated UUIDv7", i, ev.ID, ev.IDGenerated)
			}
			continue
		}
		if ev.ID != w.id || ev.IDGenerated {
			t.Errorf("event %d: ID = %q (generated %v), want %q", i, ev.ID, ev.IDGenerated, w.id)
		}
	}
}

func TestParseBad(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 5) + `1` + strings.Repeat(`}`, 5)
	deepArray := `{"user_id":"u","a":` + strings.Repeat(`[`, 5) + strings.Repeat(`]`, 5) + `}`
	tests := []struct {
		name   string
		ct     string
		body   string
		edit   func(*Config)
		status int
		reason string
		index  int
		msg    string // if set, the exact Message
	}{
		// Framing.
		{"empty", ctJSON, ``, nil, 400, ReasonEmptyBatch, -1, "the body is empty"},
		{"whitespace", ctJSON, " \n\t", nil, 400, ReasonEmptyBatch, -1, ""},
		{"empty array", ctJSON, ` [ ] `, nil, 400, ReasonEmptyBatch, -1, "the body holds no events"},
		{"ndjson blank lines only", ctNDJSON, "\n \r\n\n", nil, 400, ReasonEmptyBatch, -1, ""},
		{"ndjson empty", ctNDJSON, "", nil, 400, ReasonEmptyBatch, -1, ""},
		{"bom", ctJSON, "\xef\xbb\xbf{\"user_id\":\"u\"}", nil, 400, ReasonMalformedJSON, -1, ""},
		{"string body", ctJSON, `"event"`, nil, 400, ReasonNotAnObject, -1, "the body is a string, want an object, an array of objects or NDJSON"},
		{"number body", ctJSON, `42`, nil, 400, ReasonNotAnObject, -1, ""},
		{"null body", ctJSON, `null`, nil, 400, ReasonNotAnObject, -1, ""},
		{"garbage body", ctJSON, `hello`, nil, 400, ReasonMalformedJSON, -1, ""},
		{"trailing data", ctJSON, `{"user_id":"u"}x`, nil, 400, ReasonMalformedJSON, -1, "invalid character 'x' after top-level value (offset 15)"},
		{"two objects", ctJSON, `{"user_id":"u"}{"user_id":"v"}`, nil, 400, ReasonMalformedJSON, -1, ""},
		{"data after array", ctJSON, `[{"user_id":"u"}] []`, nil, 400, ReasonMalformedJSON, -1, ""},
		{"unterminated array", ctJSON, `[{"user_id":"u"}`, nil, 400, ReasonMalformedJSON, -1, "unexpected end of JSON input (offset 16)"},
		{"missing comma", ctJSON, `[{"user_id":"u"} {"user_id":"v"}]`, nil, 400, ReasonMalformedJSON, -1, ""},
		{"trailing comma", ctJSON, `[{"user_id":"u"},]`, nil, 400, ReasonMalformedJSON, 1, ""},
		{"array element not object", ctJSON, `[{"user_id":"u"}, 5]`, nil, 400, ReasonNotAnObject, 1, "event 1: got a number, want an object"},
		{"nested array element", ctJSON, `[[{"user_id":"u"}]]`, nil, 400, ReasonNotAnObject, 0, ""},
		{"bad array element", ctJSON, `[{"user_id":"u"}, tru]`, nil, 400, ReasonMalformedJSON, 1, ""},
		{"ndjson line not object", ctNDJSON, "{\"user_id\":\"u\"}\n\n[1]\n", nil, 400, ReasonNotAnObject, 1, "event 1: got an array, want an object"},
		{"ndjson two objects on a line", ctNDJSON, `{"user_id":"u"} {"user_id":"v"}`, nil, 400, ReasonMalformedJSON, 0, "event 0: invalid character '{' after object (line 1, column 17)"},
		{"ndjson object over two lines", ctNDJSON, "{\"user_id\":\n\"u\"}\n", nil, 400, ReasonMalformedJSON, 0, "event 0: unexpected end of JSON input (line 1, column 12)"},
		{"ndjson json array", ctNDJSON, `[{"user_id":"u"}]`, nil, 400, ReasonNotAnObject, 0, ""},
		{"ndjson bad line", ctNDJSON, "{\"user_id\":\"u\"}\r\n{\"user_id\":\"v\"\r\n", nil, 400, ReasonMalformedJSON, 1, "event 1: unexpected end of JSON input (line 2, column 16)"},

		// Syntax.
		{"unterminated object", ctJSON, `{"user_id":"u"`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"trailing comma in object", ctJSON, `{"user_id":"u",}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"missing colon", ctJSON, `{"user_id" "u"}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"unquoted name", ctJSON, `{user_id:"u"}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"single quotes", ctJSON, `{'user_id':'u'}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"unterminated string", ctJSON, `{"user_id":"u}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"control character", ctJSON, "{\"user_id\":\"a\tb\"}", nil, 400, ReasonMalformedJSON, 0, "event 0: invalid character 0x09 in string literal (offset 13)"},
		{"bad escape", ctJSON, `{"user_id":"a\x"}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"bad unicode escape", ctJSON, `{"user_id":"\u12G4"}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"short unicode escape", ctJSON, `{"user_id":"\u12"}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"escape at end", ctJSON, `{"user_id":"\`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"leading zero", ctJSON, `{"user_id":01}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"bare minus", ctJSON, `{"user_id":-}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"trailing dot", ctJSON, `{"user_id":1.}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"leading dot", ctJSON, `{"user_id":.5}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"empty exponent", ctJSON, `{"user_id":1e}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"signed exponent only", ctJSON, `{"user_id":1e+}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"plus sign", ctJSON, `{"user_id":+1}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"hex", ctJSON, `{"user_id":0x10}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"NaN", ctJSON, `{"user_id":NaN}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"Infinity", ctJSON, `{"user_id":-Infinity}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"short literal", ctJSON, `{"user_id":"u","a":tru}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"capital literal", ctJSON, `{"user_id":"u","a":True}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"truncated literal", ctJSON, `{"user_id":"u","a":nul`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"bad array", ctJSON, `{"user_id":"u","a":[1,]}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"bad array separator", ctJSON, `{"user_id":"u","a":[1;2]}`, nil, 400, ReasonMalformedJSON, 0, ""},
		{"error in second event", ctJSON, `[{"user_id":"u"},{"user_id":"v",}]`, nil, 400, ReasonMalformedJSON, 1, ""},

		// Encoding.
		{"invalid utf-8 in value", ctJSON, "{\"user_id\":\"a\xffb\"}", nil, 400, ReasonInvalidUTF8, 0, "event 0: invalid UTF-8 byte 0xff in string (offset 13)"},
		{"invalid utf-8 in name", ctJSON, "{\"us\xc3\":\"a\"}", nil, 400, ReasonInvalidUTF8, 0, ""},
		{"overlong utf-8", ctJSON, "{\"user_id\":\"\xc0\xaf\"}", nil, 400, ReasonInvalidUTF8, 0, ""},
		{"utf-8 surrogate", ctJSON, "{\"user_id\":\"\xed\xa0\x80\"}", nil, 400, ReasonInvalidUTF8, 0, ""},
		{"truncated utf-8", ctJSON, "{\"user_id\":\"\xe2\x82\"}", nil, 400, ReasonInvalidUTF8, 0, ""},
		{"invalid utf-8 in ndjson", ctNDJSON, "{\"user_id\":\"u\"}\n{\"user_id\":\"u\"}\n{\"x\":\"\xfe\",\"user_id\":\"u\"}\n", nil, 400, ReasonInvalidUTF8, 2, ""},
		{"lone high surrogate", ctJSON, `{"user_id":"\ud800"}`, nil, 400, ReasonInvalidUTF8, 0, ""},
		{"lone low surrogate", ctJSON, `{"user_id":"\udc00x"}`, nil, 400, ReasonInvalidUTF8, 0, ""},
		{"high surrogate then non-surrogate", ctJSON, `{"user_id":"\ud800\u0041"}`, nil, 400, ReasonInvalidUTF8, 0, ""},
		{"two high surrogates", ctJSON, `{"user_id":"\ud800\ud800"}`, nil, 400, ReasonInvalidUTF8, 0, ""},
		{"invalid byte outside string", ctJSON, "{\"user_id\":\"u\"\xff}", nil, 400, ReasonMalformedJSON, 0, ""},

		// Limits.
		{"too deep", ctJSON, `{"user_id":"u","a":` + deep + `}`, nil, 400, ReasonTooDeep, 0, "event 0: nesting deeper than 5 levels (offset 39)"},
		{"too deep arrays", ctJSON, deepArray, nil, 400, ReasonTooDeep, 0, ""},
		{"too deep non-object element", ctJSON, `[` + strings.Repeat(`[`, 6) + strings.Repeat(`]`, 7), nil, 400, ReasonTooDeep, 0, ""},
		{"event too large", ctJSON, `[{"user_id":"u"},{"user_id":"u","p":"` + strings.Repeat("x", 512) + `"}]`, nil, 413, ReasonEventTooLarge, 1, "event 1: 534 bytes is larger than the limit of 512 bytes"},
		{"body too large", ctJSON, `{"user_id":"u","p":"` + strings.Repeat("x", 4096) + `"}`, nil, 413, ReasonBodyTooLarge, -1, "the body is larger than the limit of 4096 bytes"},
		{"batch too large array", ctJSON, `[` + strings.Repeat(`{"user_id":"u"},`, 5) + `{"user_id":"u"}]`, nil, 413, ReasonBatchTooLarge, -1, "the batch has more than 5 events"},
		{"batch too large ndjson", ctNDJSON, strings.Repeat(`{"user_id":"u"}`+"\n", 6), nil, 413, ReasonBatchTooLarge, -1, ""},

		// Key and id.
		{"missing key", ctNDJSON, strings.Repeat(`{"user_id":"u"}`+"\n", 3) + `{"userid":"u"}`, nil, 400, ReasonMissingKey, 3, `event 3: field "user_id" is missing`},
		{"missing key nested only", ctJSON, `{"a":{"user_id":"u"}}`, nil, 400, ReasonMissingKey, 0, ""},
		{"missing key case differs", ctJSON, `{"User_ID":"u"}`, nil, 400, ReasonMissingKey, 0, ""},
		{"null key", ctJSON, `{"user_id":null}`, nil, 400, ReasonMissingKey, 0, `event 0: field "user_id" is null`},
		{"null key first wins", ctJSON, `{"user_id":null,"user_id":"u"}`, nil, 400, ReasonMissingKey, 0, ""},
		{"object key", ctJSON, `{"user_id":{"a":1}}`, nil, 400, ReasonInvalidKey, 0, `event 0: field "user_id" is an object, want a string, a number or a boolean`},
		{"array key", ctJSON, `{"user_id":[1]}`, nil, 400, ReasonInvalidKey, 0, ""},
		{"empty key", ctJSON, `{"user_id":""}`, nil, 400, ReasonInvalidKey, 0, `event 0: field "user_id" is an empty string`},
		{"nested key parent not object", ctJSON, `{"device":"d1"}`, func(c *Config) { c.KeyField = "device.serial" }, 400, ReasonMissingKey, 0, `event 0: field "device.serial" is missing: "device" is not an object`},
		{"nested key first parent wins", ctJSON, `{"device":{"model":"m"},"device":{"serial":"s"}}`, func(c *Config) { c.KeyField = "device.serial" }, 400, ReasonMissingKey, 0, `event 0: field "device.serial" is missing`},
		{"object id", ctJSON, `{"user_id":"u","id":{}}`, nil, 400, ReasonInvalidID, 0, `event 0: field "id" is an object, want a non-empty string or a number`},
		{"array id", ctJSON, `{"user_id":"u","id":[]}`, nil, 400, ReasonInvalidID, 0, ""},
		{"boolean id", ctJSON, `{"user_id":"u","id":true}`, nil, 400, ReasonInvalidID, 0, ""},
		{"empty id", ctJSON, `{"user_id":"u","id":""}`, nil, 400, ReasonInvalidID, 0, `event 0: field "id" is an empty string`},

		// Media types.
		{"text/plain", "text/plain", `{"user_id":"u"}`, nil, 415, ReasonUnsupportedMediaType, -1, ""},
		{"json suffix", "application/vnd.api+json", `{"user_id":"u"}`, nil, 415, ReasonUnsupportedMediaType, -1, ""},
		{"latin1", "application/json; charset=iso-8859-1", `{"user_id":"u"}`, nil, 415, ReasonUnsupportedMediaType, -1, `charset "iso-8859-1" is not supported, send UTF-8`},
		{"bad content type", "application/json; charset", `{"user_id":"u"}`, nil, 415, ReasonUnsupportedMediaType, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestParser(t, tt.edit)
			events, err := p.ParseBytes([]byte(tt.body), tt.ct)
			checkError(t, events, err, tt.status, tt.reason, tt.index, tt.msg)
		})
	}
}

func checkError(t *testing.T, events []Event, err error, status int, reason string, index int, msg string) {
	t.Helper()
	if events != nil {
		t.Errorf("got %d events with an error", len(events))
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an *Error", err)
	}
	if e.Status != status || e.Reason != reason || e.Index != index {
		t.Fatalf("error = {%d %s %d %q}, want {%d %s %d}", e.Status, e.Reason, e.Index, e.Message, status, reason, index)
	}
	if msg != "" && e.Message != msg {
		t.Errorf("Message = %q, want %q", e.Message, msg)
	}
}

// The IDs of a batch share one string; each must still be exact.
func TestParseIDs(t *testing.T) {
	p := newTestParser(t, nil)
	events, err := p.ParseBytes([]byte(`[{"user_id":1,"id":"a\u00e9"},{"user_id":2},{"user_id":3,"id":42},{"user_id":4,"id":"\"x\""},{"user_id":5}]`), ctJSON)
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, events, []want{
		{"aé", "1", `{"user_id":1,"id":"a\u00e9"}`},
		{"", "2", `{"user_id":2}`},
		{"42", "3", `{"user_id":3,"id":42}`},
		{`"x"`, "4", `{"user_id":4,"id":"\"x\""}`},
		{"", "5", `{"user_id":5}`},
	})
	if events[1].ID >= events[4].ID {
		t.Errorf("generated ids are not increasing: %s, %s", events[1].ID, events[4].ID)
	}
	// The parser is reusable and earlier results are not clobbered.
	again, err := p.ParseBytes([]byte(`{"user_id":9,"id":"zz\u00e9zz"}`), ctJSON)
	if err != nil {
		t.Fatal(err)
	}
	if again[0].ID != "zzézz" || events[0].ID != "aé" {
		t.Errorf("after reuse: IDs %q and %q", again[0].ID, events[0].ID)
	}
}

// Key and Raw alias the body, with their capacity capped so that appending
// to them cannot overwrite it.
func TestParseAliasing(t *testing.T) {
	p := newTestParser(t, nil)
	body := []byte(`{"user_id":"u1"}` + "\n" + `{"user_id":"u2"}`)
	events, err := p.ParseBytes(body, ctNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(events[0].Raw, 'X')
	_ = append(events[0].Key, 'X')
	if string(body) != `{"user_id":"u1"}`+"\n"+`{"user_id":"u2"}` {
		t.Fatalf("appending to Raw or Key modified the body: %q", body)
	}
	if &events[0].Raw[0] != &body[0] {
		t.Error("Raw does not alias the body")
	}
}

// TestParseBytesIntoReusesStorage checks that ParseBytesInto fills a large
// enough dst in place, ignoring its length and old content, and gives what
// ParseBytes gives; a too small dst is replaced.
func TestParseBytesIntoReusesStorage(t *testing.T) {
	p := newTestParser(t, nil)
	body := []byte(`{"id":"a","user_id":"u1"}` + "\n" + `{"user_id":"u2"}` + "\n")
	want, err := p.ParseBytes(body, ctNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	stale := Event{ID: "stale", Key: []byte("k"), Raw: []byte("{}"), IDGenerated: true}
	dst := []Event{stale, stale, stale, stale}
	got, err := p.ParseBytesInto(dst[:3], body, ctNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || &got[0] != &dst[0] {
		t.Fatalf("got %d events (same storage: %v), want 2 in dst's storage", len(got), len(got) > 0 && &got[0] == &dst[0])
	}
	for i := range got {
		w := want[i]
		sameID := got[i].ID == w.ID || w.IDGenerated && got[i].IDGenerated // generated ids differ
		if !sameID || string(got[i].Key) != string(w.Key) || string(got[i].Raw) != string(w.Raw) || got[i].IDGenerated != w.IDGenerated {
			t.Errorf("event %d = %+v, want %+v", i, got[i], w)
		}
	}
	small, err := p.ParseBytesInto(make([]Event, 0, 1), body, ctNDJSON)
	if err != nil || len(small) != 2 {
		t.Fatalf("with a small dst: %d events, %v", len(small), err)
	}
}
