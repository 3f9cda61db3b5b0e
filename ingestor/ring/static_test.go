package ring

import (
	"errors"
	"sync"
	"testing"
)

func TestStatic(t *testing.T) {
	r1 := Ring{Epoch: 1, Partitions: 3, Phase: PhaseStable}
	s := NewStatic(r1)
	if !s.Ready() || s.Current() != r1 {
		t.Fatalf("NewStatic: Ready %v Current %v, want true %v", s.Ready(), s.Current(), r1)
	}
	assertNoUpdate(t, s)

	if err := s.Set(r1); err != nil {
		t.Fatalf("Set(same): %v", err)
	}
	assertNoUpdate(t, s)

	r2 := Ring{Epoch: 2, Partitions: 4, Phase: PhaseHandoff, PreviousPartitions: 3}
	r2done := Ring{Epoch: 2, Partitions: 4, Phase: PhaseStable}
	if err := s.Set(r2); err != nil {
		t.Fatalf("Set(r2): %v", err)
	}
	if err := s.Set(r2done); err != nil {
		t.Fatalf("Set(r2done): %v", err)
	}
	// Two changes, one coalesced notification.
	assertUpdate(t, s)
	assertNoUpdate(t, s)
	if got := s.Current(); got != r2done {
		t.Fatalf("Current = %v, want %v", got, r2done)
	}

	if err := s.Set(r1); !errors.Is(err, ErrStaleEpoch) {
		t.Errorf("Set(older) = %v, want ErrStaleEpoch", err)
	}
	if err := s.Set(Ring{Epoch: 3}); err == nil {
		t.Error("Set(invalid) = nil, want error")
	}
	assertNoUpdate(t, s)
	if got := s.Current(); got != r2done {
		t.Errorf("Current after rejected Sets = %v, want %v", got, r2done)
	}
}

func TestStaticInvalidInitialRing(t *testing.T) {
	s := NewStatic(Ring{Partitions: 2})
	if s.Ready() {
		t.Fatal("Ready with an invalid ring")
	}
	r := Ring{Epoch: 1, Partitions: 2, Phase: PhaseStable}
	if err := s.Set(r); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if !s.Ready() || s.Current() != r {
		t.Fatalf("after Set: Ready %v Current %v", s.Ready(), s.Current())
	}
	assertUpdate(t, s)
}

func assertUpdate(t *testing.T, s Source) {
	t.Helper()
	select {
	case <-s.Updates():
	default:
		t.Fatal("no update notification")
	}
}

func assertNoUpdate(t *testing.T, s Source) {
	t.Helper()
	select {
	case <-s.Updates():
		t.Fatal("unexpected update notification")
	default:
	}
}

// Readers never see a torn ring while a writer replaces it (run with -race).
func TestStaticConcurrentReaders(t *testing.T) {
	s := NewStatic(Ring{Epoch: 1, Partitions: 1, Phase: PhaseStable})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				r := s.Current()
				if uint64(r.Partitions) != r.Epoch {
					t.Errorf("torn ring %+v", r)
					return
				}
			}
		})
	}
	for e := uint64(2); e <= 200; e++ {
		if err := s.Set(Ring{Epoch: e, Partitions: int(e), Phase: PhaseStable}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
