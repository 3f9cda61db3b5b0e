package event_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/eventingestor/eventingestor/ingestor/event"
)

func ExampleParser_Parse() {
	p, err := event.NewParser(event.Config{KeyField: "user_id"})
	if err != nil {
		panic(err)
	}
	body := strings.NewReader(`{"id":"e1","user_id":"u7","action":"click"}` + "\n" + `{"id":2,"user_id":42}` + "\n")
	events, err := p.Parse(body, "application/x-ndjson", "")
	if err != nil {
		panic(err)
	}
	for _, ev := range events {
		fmt.Printf("id=%s key=%s raw=%s\n", ev.ID, ev.Key, ev.Raw)
	}
	// Output:
	// id=e1 key=u7 raw={"id":"e1","user_id":"u7","action":"click"}
	// id=2 key=42 raw={"id":2,"user_id":42}
}

func ExampleError() {
	p, err := event.NewParser(event.Config{KeyField: "user_id"})
	if err != nil {
		panic(err)
	}
	_, err = p.ParseBytes([]byte(`[{"user_id":"a"},{"user_id":"b"},{"userId":"c"}]`), "application/json")
	var e *event.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Reason, e.Index)
		fmt.Println(e.Message)
	}
	// Output:
	// 400 missing_key 2
	// event 2: field "user_id" is missing
}
