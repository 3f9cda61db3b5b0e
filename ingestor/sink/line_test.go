package sink

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// viaEncodingJSON returns what s becomes after a trip through encoding/json,
// the reference for escaping (invalid UTF-8 bytes become U+FFFD one by one).
func viaEncodingJSON(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

var trickyStrings = []string{
	"",
	"plain",
	`quote"inside`,
	`back\slash\`,
	"\"\\\"\\",
	"ctl\x00\x01\x08\x0c\x1f\x7f",
	"nl\n cr\r tab\t",
	"unicode é 日本語 🎉",
	"html <script>&amp;</script>",
	"separators \u2028 \u2029",
	"bad utf8 \xff\xfe end",
	"truncated rune \xe6\x97",
	"\xe6\x97",
	"surrogate \xed\xa0\x80",
	"overlong \xc0\xaf",
	"rune error literal \ufffd",
	strings.Repeat("long\"", 100),
}

func TestAppendLineRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 27, 4, 32, 1, 123456789, time.UTC)
	for _, id := range trickyStrings {
		for _, key := range []string{"k", id} {
			r := Record{
				ID: id, Key: []byte(key), Slot: 4095, Epoch: 1<<64 - 1,
				ReceivedAt: at.UnixNano(), Data: []byte(`{"a":[1,2,{"b":"<&>"}]}`),
			}
			line := AppendLine(nil, 12, 3, &r)
			checkOneLine(t, line)
			l, err := ParseLine(line)
			if err != nil {
				t.Fatalf("ParseLine(%q): %v", line, err)
			}
			want := Line{
				ID: viaEncodingJSON(t, id), Key: viaEncodingJSON(t, key), Slot: 4095,
				Partition: 12, Shard: 3, Epoch: 1<<64 - 1, ReceivedAt: at, Event: r.Data,
			}
			if !equalLines(l, want) {
				t.Errorf("round trip of id %q key %q:\n got %+v\nwant %+v", id, key, l, want)
			}
		}
	}
}

// checkOneLine fails unless line is one valid JSON object ending in '\n'.
func checkOneLine(t *testing.T, line []byte) {
	t.Helper()
	if bytes.IndexByte(line, '\n') != len(line)-1 {
		t.Fatalf("not exactly one line: %q", line)
	}
	if !json.Valid(line) {
		t.Fatalf("invalid JSON: %q", line)
	}
}

func equalLines(a, b Line) bool {
	return a.ID == b.ID && a.Key == b.Key && a.Slot == b.Slot && a.Partition == b.Partition &&
		a.Shard == b.Shard && a.Epoch == b.Epoch && a.ReceivedAt.Equal(b.ReceivedAt) &&
		bytes.Equal(a.Event, b.Event)
}

func TestAppendLineGolden(t *testing.T) {
	r := Record{
		ID: "e1", Key: []byte("u<1>&"), Slot: 7, Epoch: 3,
		ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.FixedZone("x", 3600)).UnixNano(),
		Data:       []byte(`{"id":"e1","user_id":"u<1>&"}`),
	}
	got := string(AppendLine([]byte("prefix|"), 1, 2, &r))
	want := `prefix|{"id":"e1","key":"u<1>&","slot":7,"partition":1,"shard":2,"epoch":3,` +
		`"received_at":"2026-01-02T02:04:05.6Z","event":{"id":"e1","user_id":"u<1>&"}}` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestAppendLineEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"a\"b":      `"a\"b"`,
		`a\b`:       `"a\\b"`,
		"\n\r\t":    `"\n\r\t"`,
		"\x00\x1f":  `"\u0000\u001f"`,
		"\x7f":      "\"\x7f\"",
		"<>&":       `"<>&"`,
		"é":         `"é"`,
		"\xff":      `"\ufffd"`,
		"a\u2028b":  `"a\u2028b"`,
		"\u2029":    `"\u2029"`,
		"x\xe6\x97": `"x\ufffd\ufffd"`,
		// Longer than a word of jsonstr.Plain's, with the byte to escape in the
		// first word, in the second and after the last whole word.
		"abc\"defghijklmnopq":     `"abc\"defghijklmnopq"`,
		"abcdefghij\\klmnopq":     `"abcdefghij\\klmnopq"`,
		"abcdefghijklmnop\x01":    `"abcdefghijklmnop\u0001"`,
		"abcdefghijklm\u00e9\xff": `"abcdefghijklmé\ufffd"`,
		"0123456789abcdef":        `"0123456789abcdef"`,
	} {
		if got := string(appendQuoted(nil, in)); got != want {
			t.Errorf("appendQuoted(%q) = %s, want %s", in, got, want)
		}
		if got := string(appendQuoted(nil, []byte(in))); got != want {
			t.Errorf("appendQuoted([]byte(%q)) = %s, want %s", in, got, want)
		}
	}
}

func TestAppendLineEventStaysOnOneLine(t *testing.T) {
	data := "{\r\n  \"a\": \"x\\ny\",\n  \"b\": [1,\n 2]\n}"
	r := Record{ID: "1", Data: []byte(data)}
	line := AppendLine(nil, 0, 0, &r)
	checkOneLine(t, line)
	l, err := ParseLine(line)
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(l.Event, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(data), &want); err != nil {
		t.Fatal(err)
	}
	if gj, wj := mustMarshal(t, got), mustMarshal(t, want); gj != wj {
		t.Errorf("event changed: %s, want %s", gj, wj)
	}
	if len(l.Event) != len(data) {
		t.Errorf("event length %d, want %d", len(l.Event), len(data))
	}
	if string(r.Data) != data {
		t.Errorf("AppendLine modified the record's data")
	}
}

// TestAppendLineOneLineCopiesTheEvent: a record known to be on one line
// gives the same line as when the encoder looks for line breaks itself,
// and one that is not has its breaks replaced even when the other fields
// are plain.
func TestAppendLineOneLineCopiesTheEvent(t *testing.T) {
	r := Record{ID: "1", Key: []byte("k"), Slot: 7, Epoch: 2, ReceivedAt: 1_700_000_000_123_000_000,
		Data: []byte(`{"id":"1","user_id":"k","n":[1,2,{"x":"\\n"}]}`)}
	looked := AppendLine(nil, 3, 1, &r)
	r.OneLine = true
	if copied := AppendLine(nil, 3, 1, &r); !bytes.Equal(copied, looked) {
		t.Errorf("one-line record:\n%s\nwant\n%s", copied, looked)
	}
	r.Data, r.OneLine = []byte("{\"id\":\"1\",\r\n\"n\":2}"), false
	line := AppendLine(nil, 3, 1, &r)
	checkOneLine(t, line)
	if !bytes.Contains(line, []byte(`"event":{"id":"1",  "n":2}}`)) {
		t.Errorf("line breaks not replaced by spaces: %s", line)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAppendLineEmptyEventIsNull(t *testing.T) {
	line := AppendLine(nil, 0, 0, &Record{ID: "1"})
	checkOneLine(t, line)
	if !bytes.HasSuffix(line, []byte(`"event":null}`+"\n")) {
		t.Errorf("got %s", line)
	}
}

func TestAppendLineAllocs(t *testing.T) {
	r := Record{
		ID: "id \"é\" \xff \u2028", Key: []byte("key\n日本\xe6\x97"), Slot: 1, Epoch: 2,
		ReceivedAt: time.Now().UnixNano(), Data: []byte("{\"a\":\n1}"),
	}
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendLine(buf[:0], 1, 2, &r)
	})
	if allocs != 0 {
		t.Errorf("AppendLine allocated %v times per run, want 0", allocs)
	}
}

func TestParseLineErrors(t *testing.T) {
	for _, in := range []string{
		"", "\n", "not json", `{"id":"1"`, `{"id":"1"}`, `{"id":1,"event":{}}`,
		`{"id":"1","received_at":"yesterday","event":{}}`,
	} {
		if _, err := ParseLine([]byte(in)); err == nil {
			t.Errorf("ParseLine(%q) succeeded", in)
		}
	}
}

func FuzzAppendLine(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s, []byte(s), int64(0))
	}
	f.Fuzz(func(t *testing.T, id string, key []byte, at int64) {
		r := Record{ID: id, Key: key, ReceivedAt: at, Data: []byte(`{}`)}
		line := AppendLine(nil, 0, 0, &r)
		checkOneLine(t, line)
		l, err := ParseLine(line)
		if err != nil {
			t.Fatalf("ParseLine(%q): %v", line, err)
		}
		if l.ID != viaEncodingJSON(t, id) || l.Key != viaEncodingJSON(t, string(key)) {
			t.Errorf("round trip of %q, %q gave %q, %q", id, key, l.ID, l.Key)
		}
		if l.ReceivedAt.UnixNano() != at {
			t.Errorf("received_at %d became %d", at, l.ReceivedAt.UnixNano())
		}
	})
}

// TestTimeCacheMatchesRFC3339Nano checks the cached formatter against
// time.RFC3339Nano for edge cases and random times, reusing one cache so
// that both the cached and the fresh prefix paths run.
func TestAppendUint16MatchesStrconv(t *testing.T) {
	for v := range math.MaxUint16 + 1 {
		want := strconv.Itoa(v)
		if got := string(appendUint16([]byte("x"), uint16(v))); got != "x"+want {
			t.Fatalf("appendUint16(%d) = %q, want %q", v, got, "x"+want)
		}
	}
}

func TestTimeCacheMatchesRFC3339Nano(t *testing.T) {
	cases := []int64{
		0, 1, -1, 999_999_999, 1_000_000_000, -1_000_000_000, -999_999_999,
		1_795_768_293_000_000_000, 1_795_768_293_100_000_000, 1_795_768_293_123_456_789,
		1_795_768_293_123_456_780, 1_795_768_293_000_000_001,
		math.MaxInt64, math.MinInt64, math.MinInt64 + 1,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		base := int64(1_795_768_293) + rng.Int64N(3)
		cases = append(cases, base*1e9+rng.Int64N(1e9), rng.Int64(), -rng.Int64())
	}
	var tc timeCache
	for _, n := range cases {
		want := time.Unix(0, n).UTC().Format(time.RFC3339Nano)
		for range 2 { // formatted, then the same time again from the cache
			if got := string(tc.append(nil, n)); got != want {
				t.Fatalf("timeCache.append(%d) = %q, want %q", n, got, want)
			}
		}
	}
}

// TestBatchLinesMatchAppendLine checks the lines of a batch, whose encoder
// keeps the fields that consecutive records share formatted, against
// AppendLine of each record on its own, with epochs and receive times that
// repeat, change and come back.
func TestBatchLinesMatchAppendLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	epochs := []uint64{1, 2, math.MaxUint64}
	times := []int64{1_795_768_293_123_456_789, 1_795_768_293_123_456_789 + 1, 1_795_768_294_000_000_000, -1}
	for _, ps := range [][2]int{{0, 0}, {7, 3}, {math.MaxInt32, 99}} {
		b := Batch{Partition: ps[0], Shard: ps[1]}
		var want []byte
		for i := range 500 {
			r := Record{
				ID: strings.Repeat("i", rng.IntN(40)), Key: []byte("k"), Slot: uint16(rng.IntN(4096)),
				Epoch: epochs[rng.IntN(len(epochs))], ReceivedAt: times[rng.IntN(len(times))],
				Data: []byte(`{"n":` + strings.Repeat("1", 1+i%5) + `}`),
			}
			b.Records = append(b.Records, r)
			want = AppendLine(want, b.Partition, b.Shard, &r)
		}
		if got := appendBatch(nil, b); !bytes.Equal(got, want) {
			t.Fatalf("partition %d shard %d: batch lines differ from AppendLine's:\n%s\nwant\n%s", ps[0], ps[1], got, want)
		}
	}
}
