package wal

import (
	"strings"
	"testing"
)

func TestDump(t *testing.T) {
	fsys, segs := buildLog(t, 60)
	var out strings.Builder
	if err := Dump(&out, fsys, testDir, DumpOptions{Records: true, Data: true}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"checkpoint: index 0", "records 1..", "clean", `#60 epoch=`, `"id-59"`, `{"id":"id-59"`, "unused"} {
		if !strings.Contains(s, want) {
			t.Fatalf("dump lacks %q:\n%s", want, s)
		}
	}
	flipByte(t, fsys, segs[0], segmentHeaderSize+frameHeaderSize+40)
	out.Reset()
	if err := Dump(&out, fsys, testDir, DumpOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "CORRUPT at offset 64") {
		t.Fatalf("dump does not report the damage:\n%s", out.String())
	}
}
