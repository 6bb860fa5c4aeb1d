// Package codec encrypts Temporal payloads with AES-256-GCM so that employee data is
// not readable in the server's database or in exported histories, and serves Temporal's
// remote codec protocol so the Temporal UI (and CLI) can show decoded payloads.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata keys and values written on every encrypted payload.
const (
	// MetadataEncoding is the standard Temporal metadata key naming a payload's encoding.
	MetadataEncoding = converter.MetadataEncoding
	// EncodingEncrypted marks a payload encrypted by this codec.
	EncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the key (a fingerprint, never the key) a payload was sealed with.
	MetadataKeyID = "encryption-key-id"
	// MetadataCipher names the cipher, so a future change of cipher can be recognised.
	MetadataCipher = "encryption-cipher"
	// CipherAESGCM is the only cipher this codec writes.
	CipherAESGCM = "AES-256-GCM"
)

// ErrWrongKey is returned when a payload was sealed with a different key than the one configured.
var ErrWrongKey = errors.New("payload was encrypted with a different LIFECYCLE_PAYLOAD_KEY")

// ErrTampered is returned when a payload fails authentication: it was altered, truncated or forged.
var ErrTampered = errors.New("encrypted payload failed authentication (altered or corrupted)")

// Codec is a converter.PayloadCodec sealing each payload with AES-256-GCM.
type Codec struct {
	aead  cipher.AEAD
	keyID string
}

var _ converter.PayloadCodec = (*Codec)(nil)

// ParseKey decodes a base64 (standard or URL alphabet, padded or not) 32-byte key,
// as given in LIFECYCLE_PAYLOAD_KEY. The error never contains the key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != 32 {
				return nil, fmt.Errorf("payload key must be 32 bytes after base64 decoding, got %d", len(k))
			}
			return k, nil
		}
	}
	return nil, errors.New("payload key is not valid base64")
}

// New returns a codec for a 32-byte key.
func New(key []byte) (*Codec, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("payload key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("payload key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("payload key: %w", err)
	}
	return &Codec{aead: aead, keyID: KeyID(key)}, nil
}

// KeyID is a short public fingerprint of a key, stored beside each payload so that a wrong
// key is reported as such instead of as corruption. It reveals nothing usable about the key.
func KeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("lifecycle-payload-key:"), key...))
	return hex.EncodeToString(sum[:8])
}

// KeyID returns the fingerprint of this codec's key.
func (c *Codec) KeyID() string { return c.keyID }

// Encode seals every payload: the whole original payload (metadata and data) becomes the
// ciphertext, so even the original encoding is hidden.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload %d: %w", i, err)
		}
		nonce := make([]byte, c.aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("encode payload %d: nonce: %w", i, err)
		}
		// The key id is authenticated as associated data: swapping it is detected too.
		sealed := c.aead.Seal(nonce, nonce, plain, []byte(c.keyID))
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:    []byte(c.keyID),
				MetadataCipher:   []byte(CipherAESGCM),
			},
			Data: sealed,
		}
	}
	return out, nil
}

// Decode opens payloads this codec sealed and passes any other payload through unchanged
// (histories written before encryption was switched on stay readable).
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		if got := string(p.GetMetadata()[MetadataKeyID]); got != c.keyID {
			return nil, fmt.Errorf("decode payload %d: %w (payload key id %q, configured key id %q)", i, ErrWrongKey, got, c.keyID)
		}
		if cp := string(p.GetMetadata()[MetadataCipher]); cp != "" && cp != CipherAESGCM {
			return nil, fmt.Errorf("decode payload %d: unsupported cipher %q", i, cp)
		}
		data := p.GetData()
		ns := c.aead.NonceSize()
		if len(data) < ns+c.aead.Overhead() {
			return nil, fmt.Errorf("decode payload %d: %w: %d bytes is too short", i, ErrTampered, len(data))
		}
		plain, err := c.aead.Open(nil, data[:ns], data[ns:], []byte(c.keyID))
		if err != nil {
			return nil, fmt.Errorf("decode payload %d: %w", i, ErrTampered)
		}
		var orig commonpb.Payload
		if err := proto.Unmarshal(plain, &orig); err != nil {
			return nil, fmt.Errorf("decode payload %d: %w: %v", i, ErrTampered, err)
		}
		out[i] = &orig
	}
	return out, nil
}

// DataConverter wraps Temporal's default data converter with this codec.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}
