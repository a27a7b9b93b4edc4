package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/converter"

	"github.com/heleket-payouts/payouts/config"
)

// loadCLIConfig is config.Load for the operator commands (reconcile,
// reconcile-schedule, stuck). Without PAYLOAD_KEYS they use the keys of a `make dev`
// stack when there is one: that stack encrypts everything, and a command
// without its keys cannot read what its worker writes.
func loadCLIConfig(stderr io.Writer) (config.Config, error) {
	cfg, err := config.Load()
	if err != nil || cfg.PayloadKeys != "" {
		return cfg, err
	}
	path := devKeyPath()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("read the dev payload keys: %w", err)
	}
	cfg.PayloadKeys = strings.TrimSpace(string(b))
	if _, err := cfg.Codec(); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(stderr, "PAYLOAD_KEYS is unset: using the make dev keys in %s\n", path)
	return cfg, nil
}

// devKeyPath is where `payouts dev` keeps its payload keys.
func devKeyPath() string { return filepath.Join(devDir(), devKeyFile) }

// undecodable explains a payload this process cannot read; waiting for
// another answer would not help.
func undecodable(what string, err error) error {
	if errors.Is(err, converter.ErrEncodingIsNotSupported) {
		return fmt.Errorf("%s: payloads are encrypted: set PAYLOAD_KEYS (make dev keeps them in %s): %w", what, devKeyPath(), err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// sdkEncodedFailure is the message the SDK leaves on a failure whose
// encrypted attributes it could not decode (converter.EncodeCommonFailureAttributes).
const sdkEncodedFailure = "Encoded failure"

// encryptedFailure says why a failure reads "Encoded failure".
func encryptedFailure(err error) error {
	if !strings.Contains(err.Error(), sdkEncodedFailure) {
		return err
	}
	return fmt.Errorf("%w: payloads are encrypted: set PAYLOAD_KEYS (make dev keeps them in %s)", err, devKeyPath())
}
