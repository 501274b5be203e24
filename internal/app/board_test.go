package app

import (
	"testing"

	"github.com/qualitywatch/qualitywatch/watcher"
)

// TestBoardTakesStateUntilKnown: a source whose stored state could not be
// read when it was declared is not "known", so the next declaration (a
// reload) reads its state again and the board takes it, with its error;
// once known, a declaration keeps what the polls said.
func TestBoardTakesStateUntilKnown(t *testing.T) {
	b := newBoard()
	b.set([]sourceView{{Name: "a"}}) // its state could not be read
	if b.knows("a") {
		t.Fatal("a source declared without a state is known")
	}
	b.set([]sourceView{{Name: "a", Last: watcher.Observation{State: "failing"}, LastErr: "timeout"}})
	if !b.knows("a") {
		t.Fatal("the state read on reload was not taken")
	}
	b.set([]sourceView{{Name: "a", Last: watcher.Observation{State: "ok"}}})
	b.mu.Lock()
	defer b.mu.Unlock()
	if v := b.sources["a"]; v.Last.State != "failing" || v.LastErr != "timeout" {
		t.Errorf("board has %q, %q; want the known state failing, timeout kept", v.Last.State, v.LastErr)
	}
}
