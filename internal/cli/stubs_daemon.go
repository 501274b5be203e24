package cli

// Temporary stubs, replaced by notify.go and replay.go.

import (
	"context"
	"errors"
)

func cmdNotify(context.Context, *Env, []string) error { return errors.New("not implemented yet") }
func cmdReplay(context.Context, *Env, []string) error { return errors.New("not implemented yet") }
