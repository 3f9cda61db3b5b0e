package server

import (
	"encoding/json"
	"net/http"

	"github.com/eventingestor/eventingestor/ingestor/partition"
	"github.com/eventingestor/eventingestor/ingestor/ring"
)

// Status is the body of GET /v1/status.
type Status struct {
	Partition int       `json:"partition"`
	Ring      ring.Ring `json:"ring"`
	Ready     bool      `json:"ready"`
	Healthy   bool      `json:"healthy"`
	// Drained is true when nothing this partition accepted is left unflushed.
	Drained         bool                    `json:"drained"`
	BacklogEvents   uint64                  `json:"backlogEvents"`
	BacklogBytes    int64                   `json:"backlogBytes"`
	OldestUnflushed string                  `json:"oldestUnflushed"`
	Shards          []partition.ShardStatus `json:"shards"`
}

func (s *Server) handleStatus(w http.ResponseWriter, _ *http.Request) {
	ps := s.part.Status()
	writeJSON(w, http.StatusOK, Status{
		Partition: s.cfg.Partition, Ring: s.ring.Current(),
		Ready: s.checkReady() == nil, Healthy: ps.Healthy, Drained: ps.Drained,
		BacklogEvents: ps.BacklogEvents, BacklogBytes: ps.BacklogBytes,
		OldestUnflushed: ps.OldestUnflushed.String(), Shards: ps.Shards,
	})
}

func (s *Server) handleRing(w http.ResponseWriter, _ *http.Request) {
	if !s.ring.Ready() {
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Reason: ReasonUnavailable, Message: "no ring yet"})
		return
	}
	writeJSON(w, http.StatusOK, s.ring.Current())
}

// handleHealthz is the liveness probe: it fails when a shard keeps failing,
// so that Kubernetes restarts the pod.
func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	if !s.part.Healthy() {
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Reason: ReasonUnavailable, Message: "a shard keeps failing"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz is the readiness probe: ready after WAL recovery, with a ring,
// and until shutdown begins.
func (s *Server) handleReadyz(w http.ResponseWriter, _ *http.Request) {
	if err := s.checkReady(); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
