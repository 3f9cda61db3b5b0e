package ring

import (
	"encoding/json"
	"testing"
)

// FuzzJump checks the range and the minimal-movement property of Jump.
func FuzzJump(f *testing.F) {
	f.Add(uint64(0), 1)
	f.Add(uint64(0xDEAD10CC), 666)
	f.Add(uint64(1<<63), 1024)
	f.Add(uint64(42), -3)
	f.Fuzz(func(t *testing.T, key uint64, buckets int) {
		buckets %= 1 << 20
		got := Jump(key, buckets)
		if buckets <= 0 {
			if got != -1 {
				t.Fatalf("Jump(%d, %d) = %d, want -1", key, buckets, got)
			}
			return
		}
		if got < 0 || got >= buckets {
			t.Fatalf("Jump(%d, %d) = %d, out of range", key, buckets, got)
		}
		if next := Jump(key, buckets+1); next != got && next != buckets {
			t.Fatalf("Jump(%d, %d) = %d but Jump(_, %d) = %d: moved to an old bucket", key, buckets, got, buckets+1, next)
		}
	})
}

// FuzzSlot checks that Slot and SlotString agree and stay in range.
func FuzzSlot(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("user-1"))
	f.Add([]byte("\xff\x00ü"))
	f.Fuzz(func(t *testing.T, key []byte) {
		s := Slot(key)
		if s >= Slots {
			t.Fatalf("Slot(%q) = %d, out of range", key, s)
		}
		if ss := SlotString(string(key)); ss != s {
			t.Fatalf("SlotString(%q) = %d, Slot = %d", key, ss, s)
		}
	})
}

// FuzzParse checks that Parse never panics and only returns valid rings
// that survive a JSON round trip.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"epoch":1,"partitions":3,"phase":"Stable"}`))
	f.Add([]byte(`{"epoch":7,"partitions":5,"phase":"Handoff","previousPartitions":4}`))
	f.Add([]byte(`{"epoch":0}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("Parse(%q) returned an invalid ring: %v", data, err)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(out)
		if err != nil || back != r {
			t.Fatalf("round trip of %+v: %+v, %v", r, back, err)
		}
	})
}
