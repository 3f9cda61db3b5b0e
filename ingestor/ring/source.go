package ring

import (
	"sync"
	"sync/atomic"
)

// Source provides the current ring of a cluster.
//
// Implementations are safe for concurrent use.
type Source interface {
	// Current returns the current ring, or the zero Ring if the source
	// has none yet. It is cheap enough to call on every request.
	Current() Ring
	// Updates returns a channel that receives a value after the current
	// ring changed. Notifications are coalesced: the channel has a buffer
	// of one, so a slow reader sees one notification for several changes
	// and must call Current to learn the latest ring. The channel is
	// never closed.
	Updates() <-chan struct{}
	// Ready reports whether the source has a valid ring.
	Ready() bool
}

// holder stores the current ring of a source and notifies watchers of
// changes. Reads are lock-free; updates are serialised.
type holder struct {
	mu      sync.Mutex // serialises update
	cur     atomic.Pointer[Ring]
	updates chan struct{}
}

func newHolder() *holder {
	return &holder{updates: make(chan struct{}, 1)}
}

func (h *holder) current() Ring {
	if r := h.cur.Load(); r != nil {
		return *r
	}
	return Ring{}
}

func (h *holder) ready() bool {
	return h.current().Validate() == nil
}

// store replaces the current ring without any check.
func (h *holder) store(r Ring) {
	h.cur.Store(&r)
}

// update replaces the current ring with next if next is a valid successor
// (see successor), notifying watchers. It reports whether the ring changed.
func (h *holder) update(next Ring) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	changed, err := successor(h.current(), next)
	if err != nil || !changed {
		return false, err
	}
	h.store(next)
	select {
	case h.updates <- struct{}{}:
	default: // a notification is already pending
	}
	return true, nil
}

// Static is a [Source] holding a ring set by the program: for tests and the
// single-process dev mode.
type Static struct {
	h *holder
}

var _ Source = (*Static)(nil)

// NewStatic returns a Static source holding r. r is not validated: Ready
// reports whether it is valid.
func NewStatic(r Ring) *Static {
	s := &Static{h: newHolder()}
	s.h.store(r)
	return s
}

// Current returns the ring most recently given to NewStatic or Set.
func (s *Static) Current() Ring { return s.h.current() }

// Updates returns the notification channel; it fires only after Set changed
// the ring.
func (s *Static) Updates() <-chan struct{} { return s.h.updates }

// Ready reports whether the current ring is valid.
func (s *Static) Ready() bool { return s.h.ready() }

// Set replaces the ring and notifies watchers. It returns an error, and
// keeps the current ring, if r is invalid, older than the current ring
// ([ErrStaleEpoch]) or conflicts with it ([ErrEpochConflict]). Setting the
// current ring again is a no-op.
func (s *Static) Set(r Ring) error {
	_, err := s.h.update(r)
	return err
}
