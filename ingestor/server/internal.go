package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/eventingestor/eventingestor/ingestor/ring"
)

// handleRecords is POST /internal/v1/records: records forwarded by another
// partition, all of which this partition must own under the sender's ring.
func (s *Server) handleRecords(w http.ResponseWriter, r *http.Request) {
	if err := s.checkReady(); err != nil {
		writeError(w, err)
		return
	}
	var sender ring.Ring
	if err := json.Unmarshal([]byte(r.Header.Get(ringHeader)), &sender); err != nil || sender.Validate() != nil {
		writeError(w, &apiError{Status: http.StatusBadRequest, Reason: ReasonBadRequest,
			Message: fmt.Sprintf("missing or invalid %s header", ringHeader)})
		return
	}
	if sender.Epoch > s.ring.Current().Epoch && s.ring.Learn(sender) {
		s.log.Info("learned a newer ring from a peer", "ring", sender, "from", r.Header.Get(senderHeader))
	}
	mine := s.ring.Current()
	if sender.Epoch < mine.Epoch {
		writeError(w, &apiError{Status: http.StatusMisdirectedRequest, Reason: ReasonStaleRing, Ring: &mine,
			Message: fmt.Sprintf("records routed by ring epoch %d; this partition is at epoch %d", sender.Epoch, mine.Epoch)})
		return
	}
	buf, unreserve, aerr := s.admitBody(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	defer unreserve()
	defer putBuffer(buf)
	limit := int64(s.cfg.Forward.MaxBatchBytes) + 2*s.parser.Config().MaxBodyBytes
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		writeError(w, &apiError{Status: http.StatusBadRequest, Reason: ReasonBadRequest, Message: "while reading forwarded records: " + err.Error()})
		return
	}
	rp := s.recordsPool.get(0)
	defer s.recordsPool.put(rp)
	recs, err := decodeRecords(*rp, buf.Bytes())
	*rp = recs // pooled with its storage, grown or not
	if err != nil {
		writeError(w, &apiError{Status: http.StatusBadRequest, Reason: ReasonBadRequest, Message: err.Error()})
		return
	}
	for i := range recs {
		if o := mine.Owner(recs[i].Slot); o != s.cfg.Partition {
			writeError(w, &apiError{Status: http.StatusMisdirectedRequest, Reason: ReasonMisrouted, Ring: &mine,
				Message: fmt.Sprintf("slot %d belongs to partition %d under ring epoch %d", recs[i].Slot, o, mine.Epoch)})
			return
		}
	}
	// The sender bounds the wait (its forward timeout) and cancels it by
	// going away; a shutdown ends it too, as it ends ingest requests' waits.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.deadlines.closed(), cancel)()
	if err := s.appendLocal(ctx, recs, nil); err != nil {
		writeError(w, toAPIError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
