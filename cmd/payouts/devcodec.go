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

const (
	devAdminTokensFile = "admin-tokens"
	devCodecTokenFile  = "codec-token"
)

// devSecrets fills in what `payouts dev` generates when unset.
func devSecrets(cfg *config.Config, stateDir string) error {
	if err := devCodec(cfg, stateDir); err != nil {
		return err
	}
	return devAdminTokens(cfg, stateDir)
}

// devAdminTokens keeps the generated tokens in the state directory, so a
// curl saved from the banner keeps working after a restart.
func devAdminTokens(cfg *config.Config, stateDir string) error {
	if cfg.AdminTokens != "" {
		return nil
	}
	tokens, err := keptSecret(filepath.Join(stateDir, devAdminTokensFile), func() (string, error) {
		return "admin:" + randomToken() + ",approver:" + randomToken(), nil
	})
	if err != nil {
		return fmt.Errorf("dev admin tokens: %w", err)
	}
	cfg.AdminTokens = tokens
	return nil
}

// devCodec turns payload encryption on for `payouts dev`: a key and a
// CODEC_TOKEN for the Web UI's codec endpoint, each kept in the state
// directory unless set. A kept token keeps a UI tab working across restarts.
func devCodec(cfg *config.Config, stateDir string) error {
	if cfg.PayloadKeys == "" {
		keys, err := keptSecret(filepath.Join(stateDir, devKeyFile), func() (string, error) { return codec.GenerateKey("dev1") })
		if err != nil {
			return fmt.Errorf("dev payload key: %w", err)
		}
		cfg.PayloadKeys = keys
	}
	if cfg.CodecToken == "" {
		token, err := keptSecret(filepath.Join(stateDir, devCodecTokenFile), func() (string, error) { return randomToken(), nil })
		if err != nil {
			return fmt.Errorf("dev codec token: %w", err)
		}
		cfg.CodecToken = token
	}
	if _, err := cfg.Codec(); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(stateDir, devKeyFile), err)
	}
	return nil
}

// keptSecret reads the secret kept at path, or generates it and keeps it
// there, readable by its owner only.
func keptSecret(path string, generate func() (string, error)) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	secret, err := generate()
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return secret, nil
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
