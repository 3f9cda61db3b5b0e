package sink

import (
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/internal/directio"
)

func TestDirectPart(t *testing.T) {
	const b = directio.Block
	for _, c := range []struct {
		name string
		t, n int
		want int
	}{
		{"nothing", 0, 0, 0},
		{"less than a block", 0, b - 1, 0},
		{"tail and new bytes in one block", 100, b - 101, 0},
		{"exactly one block", 0, b, b},
		{"tail and new bytes fill a block", 100, b - 100, b},
		{"tail, a block and a bit", 100, b + 50, b},
		{"many blocks and a bit", 7, 5*b + 3, 5 * b},
		{"the largest tail and one new byte", b - 1, 1, b},
	} {
		if got := directPart(c.t, c.n); got != c.want {
			t.Errorf("%s: directPart(%d, %d) = %d, want %d", c.name, c.t, c.n, got, c.want)
		}
	}
}
