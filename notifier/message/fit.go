package message

import (
	"github.com/qualitywatch/qualitywatch/alert"
)

// Fit reports how many of alerts, taken from the first, one body in format
// f carries in full: Render(f, alerts[:k]...) leaves none of them out
// (Data.More is 0). It is len(alerts) when the whole digest fits, and at
// least 1 when alerts is non-empty (a single alert's text is cut to fit
// instead). It uses Render's own search, so the two cannot disagree.
// Channels implement notifier.Fitter with it.
func (r *Renderer) Fit(f Format, alerts ...alert.Alert) (int, error) {
	return FitWhole(len(alerts), func(k int) (int, error) {
		_, shown, err := r.render(f, alerts[:k])
		return shown, err
	})
}

// FitWhole finds how many of n alerts one message carries in full, given
// shown(k): how many of the first k alerts the message built for them shows.
// It starts from n and, while the message for k alerts shows only some of
// them, tries again with that many, so that the count returned is one whose
// own message shows every alert (1 always counts as fitting). 0 for n <= 0.
func FitWhole(n int, shown func(k int) (int, error)) (int, error) {
	k := n
	for k > 1 {
		s, err := shown(k)
		if err != nil {
			return 0, err
		}
		if s >= k {
			break
		}
		k = max(s, 1)
	}
	return max(k, 0), nil
}
