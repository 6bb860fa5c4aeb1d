package nmbrs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultTokenURL is the token endpoint of the Nmbrs identity service
// (https://identityservice.nmbrs.com/.well-known/openid-configuration).
const DefaultTokenURL = "https://identityservice.nmbrs.com/connect/token"

// ErrRefreshTokenRevoked is wrapped when the identity service refuses the
// refresh token (invalid_grant): it was revoked, expired, or already used
// by another process. Only a new sign-in helps.
var ErrRefreshTokenRevoked = errors.New("nmbrs refresh token refused")

// refresher keeps an access token current with the OAuth 2.0 refresh-token
// grant (RFC 6749 section 6). Nmbrs issues authorization-code tokens with
// offline_access; each refresh answers a new refresh token and the old one
// stops working, so the new one is kept in memory and written to the
// configured file before it is used.
type refresher struct {
	tokenURL, clientID, clientSecret string
	// file, when set, holds the current refresh token; it wins over the
	// configured value once it exists.
	file string
	http *http.Client
	now  func() time.Time

	mu      sync.Mutex
	refresh string
	access  string
	expiry  time.Time
}

// token returns a valid access token, refreshing when the current one
// expires within a minute.
func (r *refresher) token(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.access != "" && r.now().Add(time.Minute).Before(r.expiry) {
		return r.access, nil
	}
	// Another process (or the operator) may have rotated the token in the file.
	if err := r.reload(); err != nil {
		return "", err
	}
	used := r.refresh
	t, err := r.redeem(ctx)
	if errors.Is(err, ErrRefreshTokenRevoked) && r.file != "" {
		// Another process sharing the file may have spent the token just now
		// and saved its successor: try that one once.
		if rerr := r.reload(); rerr == nil && r.refresh != used {
			return r.redeem(ctx)
		}
	}
	return t, err
}

// reload takes the refresh token from the file when it holds one.
func (r *refresher) reload() error {
	if r.file == "" {
		return nil
	}
	b, err := os.ReadFile(r.file)
	switch {
	case err == nil:
		if t := strings.TrimSpace(string(b)); t != "" {
			r.refresh = t
		}
		return nil
	case errors.Is(err, os.ErrNotExist):
		return nil
	}
	return fmt.Errorf("nmbrs: read LIFECYCLE_NMBRS_REFRESH_TOKEN_FILE: %w", err)
}

// redeem exchanges the refresh token for an access token and keeps the
// rotated refresh token. The caller holds r.mu.
func (r *refresher) redeem(ctx context.Context) (string, error) {
	now := r.now()
	if r.refresh == "" {
		return "", errors.New("nmbrs: no refresh token: set LIFECYCLE_NMBRS_REFRESH_TOKEN or put one in LIFECYCLE_NMBRS_REFRESH_TOKEN_FILE")
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.refresh}, "client_id": {r.clientID}, "client_secret": {r.clientSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("nmbrs: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := r.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("nmbrs: token endpoint: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		switch {
		case e.Error == "invalid_grant":
			return "", fmt.Errorf("nmbrs: %w (invalid_grant): it was revoked, expired, or already used by another process. "+
				"Sign in to Nmbrs again with the authorization-code flow (scope offline_access) and put the new refresh token in %s",
				ErrRefreshTokenRevoked, r.where())
		case e.Error == "invalid_client" || resp.StatusCode == http.StatusUnauthorized:
			return "", fmt.Errorf("nmbrs: token endpoint refused the client (%d %s): check LIFECYCLE_NMBRS_CLIENT_ID and LIFECYCLE_NMBRS_CLIENT_SECRET",
				resp.StatusCode, cmpOr(e.Error, http.StatusText(resp.StatusCode)))
		}
		// The body is not echoed: token endpoints may repeat the request.
		return "", fmt.Errorf("nmbrs: token endpoint: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var tr struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(data, &tr); err != nil || tr.AccessToken == "" {
		return "", errors.New("nmbrs: token endpoint replied without an access_token")
	}
	if tr.RefreshToken != "" && tr.RefreshToken != r.refresh {
		// Persist first: the old refresh token no longer works, so losing the
		// new one would lock the engine out until someone signs in again.
		if r.file != "" {
			if err := writeFileAtomic(r.file, []byte(tr.RefreshToken+"\n")); err != nil {
				return "", fmt.Errorf("nmbrs: the refresh token rotated but could not be saved to LIFECYCLE_NMBRS_REFRESH_TOKEN_FILE (%w); "+
					"the previous one is now spent: fix the file's permissions and sign in again", err)
			}
		}
		r.refresh = tr.RefreshToken
	}
	if tr.ExpiresIn <= 0 {
		tr.ExpiresIn = 300
	}
	r.access, r.expiry = tr.AccessToken, now.Add(time.Duration(tr.ExpiresIn)*time.Second)
	return r.access, nil
}

func (r *refresher) where() string {
	if r.file != "" {
		return "LIFECYCLE_NMBRS_REFRESH_TOKEN_FILE (" + r.file + ")"
	}
	return "LIFECYCLE_NMBRS_REFRESH_TOKEN (better: LIFECYCLE_NMBRS_REFRESH_TOKEN_FILE, so rotated tokens survive a restart)"
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// writeFileAtomic replaces path with data (mode 0600) through a temporary
// file in the same directory and a rename.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".nmbrs-token-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := io.Copy(f, bytes.NewReader(data))
	if err := f.Chmod(0o600); werr == nil {
		werr = err
	}
	if err := f.Sync(); werr == nil {
		werr = err
	}
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		os.Remove(tmp)
		return werr
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
