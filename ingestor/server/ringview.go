package server

import (
	"github.com/eventingestor/eventingestor/ingestor/ring"
)

// ringView is the ring this pod routes by: the newest of the ring from its
// source (the operator's ConfigMap, or flags) and a newer ring learned from
// a peer, since a mounted ConfigMap reaches pods at different times.
type ringView struct {
	src     ring.Source
	learned *ring.Static
}

func newRingView(src ring.Source) *ringView {
	return &ringView{src: src, learned: ring.NewStatic(ring.Ring{})}
}

// Current is the newest known ring.
func (v *ringView) Current() ring.Ring {
	s, l := v.src.Current(), v.learned.Current()
	if l.Epoch > s.Epoch && v.learned.Ready() {
		return l
	}
	return s
}

// Ready reports whether any valid ring is known.
func (v *ringView) Ready() bool { return v.src.Ready() || v.learned.Ready() }

// Learn adopts r if it is valid and newer than the current ring, and
// reports whether it did.
func (v *ringView) Learn(r ring.Ring) bool {
	if r.Validate() != nil || r.Epoch <= v.Current().Epoch {
		return false
	}
	return v.learned.Set(r) == nil
}
