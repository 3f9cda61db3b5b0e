package bench

import (
	"strconv"
)

// The seed's six UserEvents: their action_data and user_id, in order. They
// are read-only.
var (
	seedActions = [...]string{
		`{"type":"knob","left":"5"}`,
		`{"type":"knob","right":"6"}`,
		`{"type":"knob","left":"8"}`,
		`{"type":"knob","left":"5"}`,
		`{"type":"knob","right":"1"}`,
		`{"type":"knob","left":"2"}`,
	}
	seedUsers = [len(seedActions)]int{1, 1, 1, 2, 2, 2}
)

// seedKeys is the Keys value that sends the seed events exactly.
const seedKeys = 2

// generator renders the events of a run. Event n is a pure function of the
// seed and n, so that senders need no shared state beyond the next batch
// number, the recorder can derive an event's key from n alone, and the
// baseline run sends the same events. A generator is read-only once built
// and safe for concurrent use.
type generator struct {
	seed uint64
	keys uint64
	// idPrefix is `{"id":"<run id>-`.
	idPrefix []byte
	// runPrefix is `<run id>-`.
	runPrefix []byte
	// tails[a] is `","action_data":<seedActions[a]>}`.
	tails [len(seedActions)][]byte
}

// userMid separates the id's number from the user_id's value.
const userMid = `","user_id":"`

func newGenerator(runID string, seed int64, keys int) *generator {
	g := &generator{
		seed:      uint64(seed),
		keys:      uint64(keys),
		idPrefix:  []byte(`{"id":"` + runID + "-"),
		runPrefix: []byte(runID + "-"),
	}
	for i, a := range seedActions {
		g.tails[i] = []byte(`","action_data":` + a + "}")
	}
	return g
}

// pick returns the seed event whose action_data event n carries, and its
// user_id.
func (g *generator) pick(n int64) (action int, user uint64) {
	r := mix(g.seed + uint64(n)*0x9e3779b97f4a7c15)
	action = int(r % uint64(len(seedActions)))
	if g.keys == seedKeys {
		return action, uint64(seedUsers[action])
	}
	return action, (r/uint64(len(seedActions)))%g.keys + 1
}

// appendEvent appends the JSON of event n, without a newline.
func (g *generator) appendEvent(dst []byte, n int64) []byte {
	action, user := g.pick(n)
	dst = append(dst, g.idPrefix...)
	dst = strconv.AppendInt(dst, n, 10)
	dst = append(dst, userMid...)
	dst = strconv.AppendUint(dst, user, 10)
	return append(dst, g.tails[action]...)
}

// appendBody appends the request body of events [start, end): one JSON
// object if it is a single event, else NDJSON with a newline after each.
func (g *generator) appendBody(dst []byte, start, end int64) []byte {
	if end-start == 1 {
		return g.appendEvent(dst, start)
	}
	for n := start; n < end; n++ {
		dst = g.appendEvent(dst, n)
		dst = append(dst, '\n')
	}
	return dst
}

// appendID appends the id of event n.
func (g *generator) appendID(dst []byte, n int64) []byte {
	dst = append(dst, g.runPrefix...)
	return strconv.AppendInt(dst, n, 10)
}

// maxEventSize bounds the size of one rendered event plus its newline.
func (g *generator) maxEventSize() int {
	longest := 0
	for _, t := range g.tails {
		longest = max(longest, len(t))
	}
	return len(g.idPrefix) + 20 + len(userMid) + 20 + longest + 1
}

// mix is the SplitMix64 finaliser: a cheap, well-distributed hash of x.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
