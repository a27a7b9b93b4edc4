package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/heleket-payouts/payouts/codec"
	"github.com/heleket-payouts/payouts/config"
)

// devKeyFile keeps the generated payload key next to the dev server's
// SQLite file: histories written with it must stay readable after a
// restart.
const devKeyFile = "payload-keys"

// devCodec turns payload encryption on for `payouts dev`: a key kept in
// the state directory unless PAYLOAD_KEYS is set, and a fresh CODEC_TOKEN
// for the Web UI's codec endpoint unless one is set.
func devCodec(cfg *config.Config, stateDir string) error {
	if cfg.PayloadKeys == "" {
		keys, err := devPayloadKeys(filepath.Join(stateDir, devKeyFile))
		if err != nil {
			return err
		}
		cfg.PayloadKeys = keys
	}
	if cfg.CodecToken == "" {
		cfg.CodecToken = randomToken()
	}
	if _, err := cfg.Codec(); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(stateDir, devKeyFile), err)
	}
	return nil
}

func devPayloadKeys(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read dev payload key: %w", err)
	}
	key, err := codec.GenerateKey("dev1")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write dev payload key: %w", err)
	}
	return key, nil
}

// devCodecEndpoint is the codec URL the dev server's Web UI calls from the
// operator's browser; the token travels in the path because the UI sends
// no bearer header without OIDC.
func devCodecEndpoint(cfg config.Config) string {
	if cfg.PayloadKeys == "" || cfg.CodecToken == "" {
		return ""
	}
	return localURL(cfg.HTTPAddr) + "/codec/" + cfg.CodecToken
}

// localURL turns a listen address into a URL a local browser can open.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// payloadKeyID names the encrypting key for the banner.
func payloadKeyID(cfg config.Config) string {
	c, err := cfg.Codec()
	if err != nil || c == nil {
		return "none"
	}
	return c.ActiveKeyID()
}
