package classifier

// Labels of an evaluation set: 2 must match, 0 must not, 1 is not scored.
const (
	LabelMustNot  = 0
	LabelRelated  = 1
	LabelMustFind = 2
)

// Confusion counts a classifier's verdicts against labels.
type Confusion struct {
	TP, FP, FN, TN int // true/false positives and negatives
	Unscored       int // label 1 items
}

// Add records one verdict for an item with the given label.
func (c *Confusion) Add(label int, match bool) {
	switch {
	case label == LabelRelated:
		c.Unscored++
	case label == LabelMustFind && match:
		c.TP++
	case label == LabelMustFind:
		c.FN++
	case match:
		c.FP++
	default:
		c.TN++
	}
}

// Precision is TP / (TP + FP), or 1 when nothing matched.
func (c Confusion) Precision() float64 {
	if c.TP+c.FP == 0 {
		return 1
	}
	return float64(c.TP) / float64(c.TP+c.FP)
}

// Recall is TP / (TP + FN), or 1 when nothing had to match.
func (c Confusion) Recall() float64 {
	if c.TP+c.FN == 0 {
		return 1
	}
	return float64(c.TP) / float64(c.TP+c.FN)
}

// F1 is the harmonic mean of precision and recall.
func (c Confusion) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
