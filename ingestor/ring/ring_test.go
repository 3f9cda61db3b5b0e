package ring

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestRingJSONRoundTrip(t *testing.T) {
	tests := []struct {
		ring Ring
		json string
	}{
		{Ring{Epoch: 1, Partitions: 3, Phase: PhaseStable}, `{"epoch":1,"partitions":3,"phase":"Stable"}`},
		{Ring{Epoch: 7, Partitions: 5, Phase: PhaseHandoff, PreviousPartitions: 4}, `{"epoch":7,"partitions":5,"phase":"Handoff","previousPartitions":4}`},
	}
	for _, tt := range tests {
		data, err := json.Marshal(tt.ring)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", tt.ring, err)
		}
		if string(data) != tt.json {
			t.Errorf("Marshal(%v) = %s, want %s", tt.ring, data, tt.json)
		}
		got, err := Parse(data)
		if err != nil {
			t.Fatalf("Parse(%s): %v", data, err)
		}
		if got != tt.ring {
			t.Errorf("Parse(%s) = %+v, want %+v", data, got, tt.ring)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Ring
		wantErr string
	}{
		{in: `{"epoch":2,"partitions":4,"phase":"Stable","futureField":true}`, want: Ring{Epoch: 2, Partitions: 4, Phase: PhaseStable}},
		{in: ` {"epoch":2,"partitions":4,"phase":"Stable"}` + "\n", want: Ring{Epoch: 2, Partitions: 4, Phase: PhaseStable}},
		{in: ``, wantErr: "decode ring"},
		{in: `{"epoch":2,`, wantErr: "decode ring"},
		{in: `{"epoch":-2,"partitions":4,"phase":"Stable"}`, wantErr: "decode ring"},
		{in: `{"epoch":2,"partitions":4,"phase":"Stable"} {}`, wantErr: "decode ring"},
		{in: `{"epoch":2,"partitions":0,"phase":"Stable"}`, wantErr: "partitions must be"},
		{in: `{"epoch":2,"partitions":4}`, wantErr: "unknown phase"},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestRingValidate(t *testing.T) {
	tests := []struct {
		name    string
		ring    Ring
		wantErr string
	}{
		{"stable", Ring{Epoch: 1, Partitions: 1, Phase: PhaseStable}, ""},
		{"max partitions", Ring{Epoch: 9, Partitions: MaxPartitions, Phase: PhaseStable}, ""},
		{"handoff grow", Ring{Epoch: 2, Partitions: 4, Phase: PhaseHandoff, PreviousPartitions: 3}, ""},
		{"handoff shrink", Ring{Epoch: 2, Partitions: 3, Phase: PhaseHandoff, PreviousPartitions: 4}, ""},
		{"zero", Ring{}, "epoch must be at least 1"},
		{"epoch 0", Ring{Partitions: 1, Phase: PhaseStable}, "epoch must be at least 1"},
		{"no partitions", Ring{Epoch: 1, Phase: PhaseStable}, "partitions must be 1..1024, got 0"},
		{"negative partitions", Ring{Epoch: 1, Partitions: -1, Phase: PhaseStable}, "partitions must be 1..1024, got -1"},
		{"too many partitions", Ring{Epoch: 1, Partitions: MaxPartitions + 1, Phase: PhaseStable}, "partitions must be 1..1024, got 1025"},
		{"unknown phase", Ring{Epoch: 1, Partitions: 1, Phase: "stable"}, `unknown phase "stable"`},
		{"empty phase", Ring{Epoch: 1, Partitions: 1}, `unknown phase ""`},
		{"stable with previous", Ring{Epoch: 1, Partitions: 2, Phase: PhaseStable, PreviousPartitions: 1}, "previousPartitions must be 0 in phase Stable"},
		{"handoff without previous", Ring{Epoch: 2, Partitions: 2, Phase: PhaseHandoff}, "previousPartitions must be 1..1024 in phase Handoff, got 0"},
		{"handoff previous too big", Ring{Epoch: 2, Partitions: 2, Phase: PhaseHandoff, PreviousPartitions: 2000}, "previousPartitions must be 1..1024 in phase Handoff, got 2000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ring.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRingOwners(t *testing.T) {
	grow := Ring{Epoch: 2, Partitions: 5, Phase: PhaseHandoff, PreviousPartitions: 4}
	stable := Ring{Epoch: 2, Partitions: 5, Phase: PhaseStable}
	one := Ring{Epoch: 1, Partitions: 1, Phase: PhaseStable}
	for s := range uint16(Slots) {
		if got, want := one.Owner(s), Jump(uint64(s), 1); got != want {
			t.Fatalf("one partition: Owner(%d) = %d, want %d", s, got, want)
		}
		if got, want := grow.Owner(s), Jump(uint64(s), 5); got != want {
			t.Fatalf("Owner(%d) = %d, want %d", s, got, want)
		}
		if got, want := grow.PreviousOwner(s), Jump(uint64(s), 4); got != want {
			t.Fatalf("PreviousOwner(%d) = %d, want %d", s, got, want)
		}
		if got, want := stable.PreviousOwner(s), stable.Owner(s); got != want {
			t.Fatalf("stable PreviousOwner(%d) = %d, want Owner %d", s, got, want)
		}
	}
	key := []byte("user-42")
	if got, want := grow.OwnerOfKey(key), grow.Owner(Slot(key)); got != want {
		t.Errorf("OwnerOfKey = %d, want %d", got, want)
	}
	if got := (Ring{}).Owner(1); got != -1 {
		t.Errorf("zero Ring Owner = %d, want -1", got)
	}
}

func TestRingMovedSlots(t *testing.T) {
	if got := (Ring{Epoch: 1, Partitions: 4, Phase: PhaseStable}).MovedSlots(); got != nil {
		t.Errorf("stable ring MovedSlots = %v, want nil", got)
	}
	grow := Ring{Epoch: 2, Partitions: 5, Phase: PhaseHandoff, PreviousPartitions: 4}
	shrink := Ring{Epoch: 3, Partitions: 4, Phase: PhaseHandoff, PreviousPartitions: 5}
	var onNew []uint16
	for s := range uint16(Slots) {
		if grow.Owner(s) == 4 {
			onNew = append(onNew, s)
		}
	}
	if got := grow.MovedSlots(); !slices.Equal(got, onNew) {
		t.Errorf("grow 4→5 moved %d slots, want exactly the %d slots of partition 4", len(got), len(onNew))
	}
	if got := shrink.MovedSlots(); !slices.Equal(got, onNew) {
		t.Errorf("shrink 5→4 moved %d slots, want exactly the %d slots of partition 4", len(got), len(onNew))
	}
	same := Ring{Epoch: 3, Partitions: 4, Phase: PhaseHandoff, PreviousPartitions: 4}
	if got := same.MovedSlots(); len(got) != 0 {
		t.Errorf("4→4 moved %d slots, want 0", len(got))
	}
}

func TestRingString(t *testing.T) {
	tests := map[Ring]string{
		{Epoch: 7, Partitions: 5, Phase: PhaseHandoff, PreviousPartitions: 4}: "epoch 7: 5 partitions, Handoff from 4",
		{Epoch: 8, Partitions: 5, Phase: PhaseStable}:                         "epoch 8: 5 partitions, Stable",
	}
	for r, want := range tests {
		if got := r.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestSuccessor(t *testing.T) {
	stable3 := Ring{Epoch: 3, Partitions: 4, Phase: PhaseStable}
	handoff4 := Ring{Epoch: 4, Partitions: 5, Phase: PhaseHandoff, PreviousPartitions: 4}
	stable4 := Ring{Epoch: 4, Partitions: 5, Phase: PhaseStable}
	tests := []struct {
		name        string
		cur, next   Ring
		wantChanged bool
		wantErr     error
	}{
		{"first ring", Ring{}, stable3, true, nil},
		{"same ring", stable3, stable3, false, nil},
		{"newer epoch", stable3, handoff4, true, nil},
		{"skip epochs", stable3, Ring{Epoch: 9, Partitions: 2, Phase: PhaseStable}, true, nil},
		{"handoff done", handoff4, stable4, true, nil},
		{"older epoch", handoff4, stable3, false, ErrStaleEpoch},
		{"stable back to handoff", stable4, handoff4, false, ErrEpochConflict},
		{"same epoch other partitions", stable3, Ring{Epoch: 3, Partitions: 5, Phase: PhaseStable}, false, ErrEpochConflict},
		{"handoff to stable other partitions", handoff4, Ring{Epoch: 4, Partitions: 6, Phase: PhaseStable}, false, ErrEpochConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed, err := successor(tt.cur, tt.next)
			if changed != tt.wantChanged || !errors.Is(err, tt.wantErr) {
				t.Fatalf("successor = %v, %v; want %v, %v", changed, err, tt.wantChanged, tt.wantErr)
			}
		})
	}
	if _, err := successor(stable3, Ring{Epoch: 5}); err == nil {
		t.Error("successor accepted an invalid ring")
	}
}
