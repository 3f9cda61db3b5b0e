package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

const benchEvents = 100

// benchBody returns an NDJSON body of n events of about 150 bytes, with ids
// unless noIDs.
func benchBody(n int, noIDs bool) []byte {
	var buf bytes.Buffer
	for i := range n {
		id := fmt.Sprintf(`"id":"%d",`, 1000000+i)
		if noIDs {
			id = ""
		}
		fmt.Fprintf(&buf, `{%s"user_id":"%d","action":"turn","action_data":{"type":"knob","left":"5","right":"7"},"ts":"2024-05-01T12:00:00.123Z","device":{"serial":"SN-%04d"}}`+"\n",
			id, i%37, i)
	}
	return buf.Bytes()
}

// seedBody returns an NDJSON body of n events shaped like the seed's
// UserEvents that eventingestor bench sends (about 80 bytes each).
func seedBody(n int) []byte {
	var buf bytes.Buffer
	for i := range n {
		fmt.Fprintf(&buf, `{"id":"b259ae73-%d","user_id":"%d","action_data":{"type":"knob","left":"%d"}}`+"\n", 1000+i, i*7919%10000, i%9+1)
	}
	return buf.Bytes()
}

// asArray turns an NDJSON body into a JSON array.
func asArray(ndjson []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(ndjson), []byte("\n"))
	return append(append([]byte("["), bytes.Join(lines, []byte(","))...), ']')
}

// spaced adds a space after every colon and comma between tokens of a body
// from benchBody, as some encoders do.
func spaced(body []byte) []byte {
	body = bytes.ReplaceAll(body, []byte(`":`), []byte(`": `))
	return bytes.ReplaceAll(body, []byte(`,"`), []byte(`, "`))
}

func reportPerEvent(b *testing.B, events int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}

func BenchmarkParseBytes(b *testing.B) {
	p, err := NewParser(Config{KeyField: "user_id"})
	if err != nil {
		b.Fatal(err)
	}
	ndjson := benchBody(benchEvents, false)
	cases := []struct {
		name string
		ct   string
		body []byte
	}{
		{"ndjson-100", ctNDJSON, ndjson},
		{"array-100", ctJSON, asArray(ndjson)},
		{"ndjson-100-generated-ids", ctNDJSON, benchBody(benchEvents, true)},
		{"ndjson-100-spaced", ctNDJSON, spaced(ndjson)},
		{"ndjson-100-seed", ctNDJSON, seedBody(benchEvents)},
		{"object", ctJSON, bytes.TrimSpace(benchBody(1, false))},
	}
	for _, c := range cases {
		n := bytes.Count(c.body, []byte(`"user_id"`))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			var events []Event // reused, as the server does
			for b.Loop() {
				var err error
				if events, err = p.ParseBytesInto(events, c.body, c.ct); err != nil {
					b.Fatal(err)
				}
			}
			reportPerEvent(b, n)
		})
	}
}

// BenchmarkScanEvent measures the scanner alone on one event of benchBody.
func BenchmarkScanEvent(b *testing.B) {
	p, err := NewParser(Config{KeyField: "user_id"})
	if err != nil {
		b.Fatal(err)
	}
	s := scanner{buf: bytes.TrimSpace(benchBody(1, false)), maxDepth: p.cfg.MaxDepth, fields: p.fields}
	b.SetBytes(int64(len(s.buf)))
	for b.Loop() {
		if _, err := s.event(0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseGzip(b *testing.B) {
	p, err := NewParser(Config{KeyField: "user_id"})
	if err != nil {
		b.Fatal(err)
	}
	body := gzipped(b, string(benchBody(benchEvents, false)))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(bytes.NewReader(body), ctNDJSON, "gzip"); err != nil {
			b.Fatal(err)
		}
	}
	reportPerEvent(b, benchEvents)
}

// BenchmarkEncodingJSONMap is the baseline the scanner replaces: decoding
// every NDJSON line into a map to validate it and read its id and key.
func BenchmarkEncodingJSONMap(b *testing.B) {
	body := benchBody(benchEvents, false)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		for line := range bytes.SplitSeq(bytes.TrimSpace(body), []byte("\n")) {
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				b.Fatal(err)
			}
			if _, ok := m["user_id"].(string); !ok {
				b.Fatal("no key")
			}
			if _, ok := m["id"].(string); !ok {
				b.Fatal("no id")
			}
		}
	}
	reportPerEvent(b, benchEvents)
}
