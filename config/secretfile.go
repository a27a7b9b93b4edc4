package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
)

// Secret settings carry the tag secret:"file": besides NAME they read
// NAME_FILE, the path of a file holding the value, so a Docker or
// Kubernetes secret (or a secret store's CSI mount) never passes through
// the environment, where `docker inspect` and crash dumps show it.
const secretTag = "secret"

// secretFromFile marks a setting NAME that NAME_FILE may provide.
// secretOwnFile marks a secret whose NAME_FILE is a file of another format
// (ADMIN_TOKENS_FILE holds digests, config/admintokens.go).
const (
	secretFromFile = "file"
	secretOwnFile  = "own-file"
)

// ReadSecretFiles fills every secret:"file" string field of the struct
// spec points to from its NAME_FILE, when that is set: the file's content
// with trailing line breaks removed. Call it after envconfig.Process. NAME
// and NAME_FILE both set is an error rather than a silent precedence, and
// errors name the setting and the path, never the content.
func ReadSecretFiles(spec any) error {
	v := reflect.ValueOf(spec)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config: ReadSecretFiles wants a pointer to a struct, got %T", spec)
	}
	v = v.Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Tag.Get(secretTag) != secretFromFile {
			continue
		}
		name := f.Tag.Get("envconfig")
		if name == "" || f.Type.Kind() != reflect.String {
			return fmt.Errorf("config: %s is tagged secret but is not a string envconfig setting", f.Name)
		}
		value, ok, err := secretFile(name)
		if err != nil {
			return err
		}
		if ok {
			v.Field(i).SetString(value)
		}
	}
	return nil
}

// secretFile reads NAME_FILE; ok is false when it is not set.
func secretFile(name string) (value string, ok bool, err error) {
	path := os.Getenv(name + "_FILE")
	if path == "" {
		return "", false, nil
	}
	// Compose's ${NAME:-} sets NAME to "": only a value conflicts.
	if os.Getenv(name) != "" {
		return "", false, fmt.Errorf("config: %s and %s_FILE are both set: set one of them", name, name)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", false, fmt.Errorf("config: %s_FILE: cannot read %s: %w", name, path, pathlessError(err))
	}
	return strings.TrimRight(string(raw), "\r\n"), true, nil
}

// pathlessError keeps the reason (not found, permission denied) without
// repeating the path the message already names.
func pathlessError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// SecretSettings are the environment variables of spec's secret settings
// that NAME_FILE can provide, in field order.
func SecretSettings(spec any) []string {
	return secretNames(spec, secretFromFile)
}

// AllSecretSettings are every secret setting of spec, including those whose
// file form has its own format (ADMIN_TOKENS).
func AllSecretSettings(spec any) []string {
	return secretNames(spec, secretFromFile, secretOwnFile)
}

func secretNames(spec any, kinds ...string) []string {
	t := reflect.TypeOf(spec)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		for _, k := range kinds {
			if f.Tag.Get(secretTag) == k {
				out = append(out, f.Tag.Get("envconfig"))
			}
		}
	}
	return out
}
