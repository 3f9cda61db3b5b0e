package event

// Event is one event of an ingest batch.
//
// Raw and, when possible, Key alias the body passed to the [Parser]: the
// body must not be modified or reused while the events are in use.
type Event struct {
	// ID identifies the event for de-duplication: the decoded content of
	// the id field if it is a string, its literal text if it is a number,
	// or a generated UUIDv7 if the field is missing or null.
	ID string
	// Key is the partition key: the decoded content of the key field if it
	// is a string, or its literal text if it is a number or a boolean (so
	// 1, 1.0 and 1e0 are different keys).
	Key []byte
	// Raw is the event object exactly as received, without surrounding
	// whitespace. It is not re-encoded: a generated id is carried in ID
	// only.
	Raw []byte
	// IDGenerated reports that ID was generated because the event had no
	// id.
	IDGenerated bool
}
