package watcher

import (
	"bytes"
	"net/http"
)

// challengeMarks are what the challenge pages of the web application
// firewalls in front of Chinese government sites contain: 瑞数 (Ruishu) sets
// $_ts in a script and answers 412; 加速乐 (Jiasule) answers 521 with a
// script computing __jsl_clearance; others show a "security check" page.
var challengeMarks = [][]byte{
	[]byte("$_ts"), []byte("__jsluid"), []byte("__jsl_clearance"),
	[]byte("安全验证"), []byte("访问异常"), []byte("请稍候"), []byte("滑动验证"),
}

// maxChallengeBytes is the size under which a 200 page carrying a
// challenge mark is taken for a challenge rather than for the page.
const maxChallengeBytes = 16 << 10

// IsChallenge reports whether a response (its status and the start of its
// body) is a web application firewall's challenge rather than the page: a
// 412 or 521 with a challenge script, or a small page that is one whatever
// its status.
func IsChallenge(status int, body []byte) bool {
	marked := false
	for _, m := range challengeMarks {
		if bytes.Contains(body, m) {
			marked = true
			break
		}
	}
	switch status {
	case http.StatusPreconditionFailed, 521:
		return marked || len(bytes.TrimSpace(body)) < 2048
	}
	return marked && len(body) < maxChallengeBytes
}

// ChallengeError is a page that answered 200 with a firewall's challenge.
type ChallengeError struct {
	URL string
}

func (e *ChallengeError) Error() string {
	return "fetch " + e.URL + ": the page is a web application firewall challenge, not the list: the site blocks this client"
}
