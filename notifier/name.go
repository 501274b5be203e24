package notifier

import (
	"errors"
	"fmt"
)

// CheckName reports whether name can name a notifier: lower-case ASCII
// letters, digits and '-', starting with a letter or a digit. The name
// becomes a NATS subject token (qualitywatch.deadletter.<name>), part of a
// durable consumer's name (notify-<name>) and a key token in the state
// bucket; this is the one rule, used by the config and by the delivery
// runtime alike.
func CheckName(name string) error {
	if name == "" {
		return errors.New("required")
	}
	for i, r := range name {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		case r == '-' && i > 0:
		default:
			return fmt.Errorf("%q must be lower-case letters, digits and '-', starting with a letter or digit", name)
		}
	}
	return nil
}
