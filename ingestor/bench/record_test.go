package bench

import (
	"errors"
	"strings"
	"testing"
)

func TestReadRecord(t *testing.T) {
	const file = `{"run_id":"abc","events":2,"batch":1,"keys":2,"seed":9,"started":"2026-01-02T03:04:05.123456789Z"}
{"id":"abc-0","key":"1","sent":10,"acked":20}

{"id":"abc-1","key":"2","sent":15,"acked":15}
`
	var got []RecordEntry
	hdr, err := ReadRecord(strings.NewReader(file), func(e RecordEntry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if hdr.RunID != "abc" || hdr.Events != 2 || hdr.Seed != 9 || hdr.Started.Nanosecond() != 123456789 {
		t.Errorf("header = %+v", hdr)
	}
	want := []RecordEntry{{"abc-0", "1", 10, 20}, {"abc-1", "2", 15, 15}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("entries = %+v, want %+v", got, want)
	}
}

func TestReadRecordErrors(t *testing.T) {
	const hdr = `{"run_id":"abc","events":1,"batch":1,"keys":2,"started":"2026-01-02T03:04:05Z"}` + "\n"
	for name, tc := range map[string]struct{ file, want string }{
		"empty":          {"", "the record is empty"},
		"not a header":   {`{"id":"abc-0","key":"1","sent":1,"acked":2}` + "\n", "record line 1 is not a record header"},
		"bad json":       {"nope\n", "record line 1 is not a record header"},
		"bad line":       {hdr + `{"id":"abc-0","key":"1","sent":1,"acked":2}` + "\n{\n", "record line 3: not a record entry"},
		"no id":          {hdr + `{"key":"1","sent":1,"acked":2}` + "\n", "record line 2: record entry has no id"},
		"acked too soon": {hdr + `{"id":"abc-0","key":"1","sent":3,"acked":2}` + "\n", "acknowledged (2) before it was sent (3)"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadRecord(strings.NewReader(tc.file), func(RecordEntry) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	stop := errors.New("stop")
	_, err := ReadRecord(strings.NewReader(hdr+`{"id":"abc-0","key":"1","sent":1,"acked":2}`+"\n"),
		func(RecordEntry) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("error = %v, want fn's", err)
	}
}
