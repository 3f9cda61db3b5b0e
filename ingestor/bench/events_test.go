package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// seedEvents are the seed's six UserEvents without their ids.
var seedEvents = []string{
	`{"user_id":"1","action_data":{"type":"knob","left":"5"}}`,
	`{"user_id":"1","action_data":{"type":"knob","right":"6"}}`,
	`{"user_id":"1","action_data":{"type":"knob","left":"8"}}`,
	`{"user_id":"2","action_data":{"type":"knob","left":"5"}}`,
	`{"user_id":"2","action_data":{"type":"knob","right":"1"}}`,
	`{"user_id":"2","action_data":{"type":"knob","left":"2"}}`,
}

// withoutID re-encodes an event without its id, in canonical form.
func withoutID(t *testing.T, event []byte) (id, rest string) {
	t.Helper()
	var e testEvent
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("event %s: %v", event, err)
	}
	b, err := json.Marshal(struct {
		UserID     string          `json:"user_id"`
		ActionData json.RawMessage `json:"action_data"`
	}{e.UserID, e.ActionData})
	if err != nil {
		t.Fatal(err)
	}
	return e.ID, string(b)
}

func TestKeysTwoSendsTheSeedEventsExactly(t *testing.T) {
	g := newGenerator("run1", 7, 2)
	seen := map[string]int{}
	for n := range int64(6000) {
		id, rest := withoutID(t, g.appendEvent(nil, n))
		if id != "run1-"+strconv.FormatInt(n, 10) {
			t.Fatalf("event %d has id %q", n, id)
		}
		seen[rest]++
	}
	if len(seen) != len(seedEvents) {
		t.Errorf("got %d distinct events, want the %d seed events: %v", len(seen), len(seedEvents), seen)
	}
	for _, s := range seedEvents {
		if c := seen[s]; c < 800 || c > 1200 {
			t.Errorf("seed event %s picked %d times in 6000, want about 1000", s, c)
		}
	}
}

// actionOf returns the action_data of an event.
func actionOf(t *testing.T, event string) string {
	t.Helper()
	_, a, ok := strings.Cut(event, `"action_data":`)
	if !ok {
		t.Fatalf("event %s has no action_data", event)
	}
	return a
}

func TestOtherKeysSpreadUserIDs(t *testing.T) {
	const keys = 5
	g := newGenerator("r", 7, keys)
	actions := map[string]bool{}
	for _, s := range seedEvents {
		actions[actionOf(t, s)] = true
	}
	users := map[string]int{}
	for n := range int64(5000) {
		_, rest := withoutID(t, g.appendEvent(nil, n))
		var e testEvent
		if err := json.Unmarshal([]byte(rest), &e); err != nil {
			t.Fatal(err)
		}
		users[e.UserID]++
		if a := actionOf(t, rest); !actions[a] {
			t.Errorf("event %d has action_data %s, not one of the seed's", n, a)
		}
	}
	for u := 1; u <= keys; u++ {
		if c := users[strconv.Itoa(u)]; c < 800 || c > 1200 {
			t.Errorf("user_id %d picked %d times in 5000, want about 1000", u, c)
		}
	}
	if len(users) != keys {
		t.Errorf("user ids = %v, want 1..%d", users, keys)
	}
}

func TestEventsDependOnlyOnSeedAndNumber(t *testing.T) {
	a, b, c := newGenerator("r", 1, 100), newGenerator("r", 1, 100), newGenerator("r", 2, 100)
	var differ bool
	for n := range int64(100) {
		ea, eb, ec := a.appendEvent(nil, n), b.appendEvent(nil, n), c.appendEvent(nil, n)
		if !bytes.Equal(ea, eb) {
			t.Fatalf("event %d differs with the same seed: %s and %s", n, ea, eb)
		}
		differ = differ || !bytes.Equal(ea, ec)
	}
	if !differ {
		t.Error("another seed gives the same events")
	}
}

func TestAppendBody(t *testing.T) {
	g := newGenerator("r", 1, 2)
	if single := g.appendBody(nil, 3, 4); bytes.Contains(single, []byte("\n")) || !json.Valid(single) {
		t.Errorf("body of one event = %q, want one JSON object", single)
	}
	ndjson := g.appendBody(nil, 10, 13)
	lines := strings.Split(string(ndjson), "\n")
	if len(lines) != 4 || lines[3] != "" {
		t.Fatalf("body of 3 events = %q, want 3 newline-terminated lines", ndjson)
	}
	for i, l := range lines[:3] {
		if id, _ := withoutID(t, []byte(l)); id != fmt.Sprintf("r-%d", 10+i) {
			t.Errorf("line %d has id %s", i, id)
		}
	}
	if max := g.maxEventSize(); len(g.appendEvent(nil, 1<<62))+1 > max {
		t.Errorf("maxEventSize %d is too small", max)
	}
}

func BenchmarkAppendBody(b *testing.B) {
	g := newGenerator("1a2b3c4d", 1, 2)
	buf := make([]byte, 0, 16<<10)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = g.appendBody(buf[:0], int64(i)*100, int64(i)*100+100)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/event")
}
