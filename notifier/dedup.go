package notifier

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/qualitywatch/qualitywatch/alert"
)

// Delivery is at least once (see package delivery): a process that dies
// while a target is answering sends that message again after the restart.
// Channels whose receivers can read an id carry one, so that a repeat can be
// recognised and dropped: the webhook in its X-Qualitywatch-Alert-Id
// header, email in that header and in its Message-ID.

// DedupKey names the message carrying alerts, the same every time the same
// alerts are sent: for one alert its id; for several (a digest, or one part
// of it) "digest:" followed by SetDigest of them. Alert ids are feed-chosen
// text; channels putting the key in a header pass it through
// message.OneLine. A digest sent again after a crash may carry alerts stored
// since, and so another key: receivers that dedupe digests should do so on
// the ids of the alerts inside.
func DedupKey(alerts ...alert.Alert) string {
	if len(alerts) == 1 {
		return alerts[0].ID
	}
	return "digest:" + SetDigest(alerts...)
}

// SetDigest is the first 32 hex digits of the SHA-256 of the alerts' ids,
// sorted and joined by newlines: a name for exactly this set of alerts,
// whatever their order.
func SetDigest(alerts ...alert.Alert) string {
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	slices.Sort(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	return hex.EncodeToString(sum[:16])
}
