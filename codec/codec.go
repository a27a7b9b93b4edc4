// Package codec encrypts Temporal payloads with AES-256-GCM, so wallet
// addresses and amounts are not readable in Temporal's history, and serves
// the codec HTTP protocol that lets the Temporal UI and CLI show them
// decoded to operators.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Payload metadata written by Encode. The key id travels with every payload
// so that old histories stay readable after a new key is added.
const (
	EncodingEncrypted = "binary/encrypted"
	MetadataKeyID     = "encryption-key-id"
	metadataEncoding  = converter.MetadataEncoding
	keySize           = 32
)

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Codec is a converter.PayloadCodec. It encrypts with one active key and
// decrypts with any configured key.
type Codec struct {
	active string
	keys   map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New parses keys written as "id:base64key,id:base64key" (32-byte keys,
// standard base64). activeID picks the key new payloads are encrypted
// with; empty means the last one listed, so rotation is "append a key".
func New(keys, activeID string) (*Codec, error) {
	c := &Codec{keys: map[string]cipher.AEAD{}}
	for _, entry := range strings.Split(keys, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, aead, err := parseKey(entry)
		if err != nil {
			return nil, err
		}
		if _, dup := c.keys[id]; dup {
			return nil, fmt.Errorf("PAYLOAD_KEYS: key id %q listed twice", id)
		}
		c.keys[id] = aead
		c.active = id
	}
	if len(c.keys) == 0 {
		return nil, errors.New("PAYLOAD_KEYS: no key given")
	}
	if activeID != "" {
		if _, ok := c.keys[activeID]; !ok {
			return nil, fmt.Errorf("PAYLOAD_KEY_ID: %q is not one of the PAYLOAD_KEYS ids", activeID)
		}
		c.active = activeID
	}
	return c, nil
}

// parseKey reads one "id:base64key" entry. Errors never echo the key.
func parseKey(entry string) (string, cipher.AEAD, error) {
	id, encoded, ok := strings.Cut(entry, ":")
	id = strings.TrimSpace(id)
	if !ok || !keyIDPattern.MatchString(id) {
		return "", nil, errors.New("PAYLOAD_KEYS: each entry must be id:base64key with an id of [A-Za-z0-9._-]")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil || len(raw) != keySize {
		return "", nil, fmt.Errorf("PAYLOAD_KEYS: key %q must be %d bytes in standard base64", id, keySize)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return "", nil, fmt.Errorf("PAYLOAD_KEYS: key %q: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", nil, fmt.Errorf("PAYLOAD_KEYS: key %q: %w", id, err)
	}
	return id, aead, nil
}

// ActiveKeyID is the id new payloads are encrypted with.
func (c *Codec) ActiveKeyID() string { return c.active }

// Encode encrypts each payload whole (metadata and data), so not even the
// payload's encoding or type leaks.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		enc, err := c.encrypt(p)
		if err != nil {
			return payloads, err
		}
		out[i] = enc
	}
	return out, nil
}

func (c *Codec) encrypt(p *commonpb.Payload) (*commonpb.Payload, error) {
	plain, err := proto.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("codec: marshal payload: %w", err)
	}
	aead := c.keys[c.active]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("codec: nonce: %w", err)
	}
	// The key id is authenticated data: a payload relabelled with another
	// key id fails to open instead of decrypting under the wrong key.
	sealed := aead.Seal(nonce, nonce, plain, []byte(c.active))
	return &commonpb.Payload{
		Metadata: map[string][]byte{
			metadataEncoding: []byte(EncodingEncrypted),
			MetadataKeyID:    []byte(c.active),
		},
		Data: sealed,
	}, nil
}

// Decode decrypts encrypted payloads and passes others through untouched,
// so histories written before the codec was turned on stay readable.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[metadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		dec, err := c.decrypt(p)
		if err != nil {
			return payloads, err
		}
		out[i] = dec
	}
	return out, nil
}

func (c *Codec) decrypt(p *commonpb.Payload) (*commonpb.Payload, error) {
	id := string(p.GetMetadata()[MetadataKeyID])
	aead, ok := c.keys[id]
	if !ok {
		return nil, fmt.Errorf("codec: payload encrypted with unknown key id %q (add it to PAYLOAD_KEYS)", id)
	}
	data := p.GetData()
	if len(data) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("codec: encrypted payload too short")
	}
	nonce, sealed := data[:aead.NonceSize()], data[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, sealed, []byte(id))
	if err != nil {
		return nil, fmt.Errorf("codec: decrypt payload with key %q: %w", id, err)
	}
	var out commonpb.Payload
	if err := proto.Unmarshal(plain, &out); err != nil {
		return nil, fmt.Errorf("codec: unmarshal decrypted payload: %w", err)
	}
	return &out, nil
}

// DataConverter is the SDK's default converter with this codec applied.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// FailureConverter encrypts failure messages and stack traces too: an
// error from Heleket may quote the request it refused.
func (c *Codec) FailureConverter() converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: c.DataConverter(), EncodeCommonAttributes: true,
	})
}

// GenerateKey returns a fresh "id:base64key" entry for PAYLOAD_KEYS.
func GenerateKey(id string) (string, error) {
	if !keyIDPattern.MatchString(id) {
		return "", fmt.Errorf("codec: key id %q is not [A-Za-z0-9._-]{1,64}", id)
	}
	raw := make([]byte, keySize)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("codec: generate key: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(raw), nil
}
