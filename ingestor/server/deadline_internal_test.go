package server

import (
	"testing"
	"time"
)

// TestSharedDeadlineSlices: requests within one slice share a context;
// every context ends between the timeout and the timeout plus a slice after
// its request; close ends them all.
func TestSharedDeadlineSlices(t *testing.T) {
	const timeout = time.Hour
	d := newSharedDeadline(timeout)
	slice := timeout / deadlineSlices
	t0 := time.Now()
	cases := []struct {
		at       time.Duration // after t0
		sameAsT0 bool
	}{
		{0, true},
		{slice / 2, true},
		{slice - time.Nanosecond, true},
		{slice, false},
		{3 * slice, false},
	}
	first := d.context(t0)
	for _, c := range cases {
		now := t0.Add(c.at)
		ctx := d.context(now)
		if (ctx == first) != c.sameAsT0 {
			t.Errorf("at +%v: shares the first context %v, want %v", c.at, ctx == first, c.sameAsT0)
		}
		dl, ok := ctx.Deadline()
		if !ok || dl.Before(now.Add(timeout)) || dl.After(now.Add(timeout+slice)) {
			t.Errorf("at +%v: deadline %v after now, want within [%v, %v]", c.at, dl.Sub(now), timeout, timeout+slice)
		}
		if again := d.context(now); again != ctx {
			t.Errorf("at +%v: a second request in the same slice got another context", c.at)
		}
	}
	d.close()
	if first.Err() == nil || d.context(t0.Add(3*slice)).Err() == nil {
		t.Error("close did not end the contexts handed out")
	}
}
