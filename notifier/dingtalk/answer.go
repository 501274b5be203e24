package dingtalk

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/httpsend"
)

// answer is the robot's reply.
type answer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// throttleRetryAfter is how long to wait after the robot's rate limit
// (20 messages a minute per robot).
const throttleRetryAfter = 60 * time.Second

// Throttling and temporary errcodes.
const (
	codeSystemBusy  = -1
	codeSendTooFast = 130101
	codeFlowLimited = 410100
)

// check reads a 2xx reply: errcode 0 is success, others are classified.
func check(resp *httpsend.Response, target string) error {
	var a answer
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.ErrCode == nil {
		return notifier.Transient(resp.Status, 0, fmt.Errorf("dingtalk: post %s: unexpected answer: %s",
			httpsend.RedactURL(target), httpsend.Snippet(resp.Body, target)))
	}
	code := *a.ErrCode
	if code == 0 {
		return nil
	}
	err := fmt.Errorf("dingtalk: post %s: errcode %d: %s", httpsend.RedactURL(target), code, httpsend.Snippet([]byte(a.ErrMsg), target))
	switch code {
	case codeSendTooFast, codeFlowLimited:
		return notifier.Transient(resp.Status, throttleRetryAfter, err)
	case codeSystemBusy:
		return notifier.Transient(resp.Status, 0, err)
	default:
		return notifier.Permanent(resp.Status, err)
	}
}
