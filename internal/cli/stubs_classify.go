package cli

// Temporary stubs, replaced by the classifier work (classify.go, vocab.go, eval.go).

import (
	"context"
	"errors"
)

func cmdClassify(context.Context, *Env, []string) error { return errors.New("not implemented yet") }
func cmdVocab(context.Context, *Env, []string) error    { return errors.New("not implemented yet") }
func cmdEval(context.Context, *Env, []string) error     { return errors.New("not implemented yet") }
