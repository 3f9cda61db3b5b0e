package server

import "github.com/eventingestor/eventingestor/ingestor/wal"

// What the external tests need to send forwarded records as a peer does.
const (
	InternalRecordsPath = internalRecordsPath
	RingHeader          = ringHeader
	RecordsContentType  = recordsContentType
)

// EncodeRecords is the body of a forward request carrying recs.
func EncodeRecords(recs []wal.Record) []byte { return appendRecords(nil, recs) }
