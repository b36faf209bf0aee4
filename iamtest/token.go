package iamtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"
)

const (
	// issuer is the iss claim of real IAM access tokens.
	issuer = "https://iam.cloud.ibm.com/identity"
	// keyID names the (imaginary) signing key in the token header.
	keyID = "iamtest-20240101"
	// grantAPIKey is the grant type for exchanging an API key.
	grantAPIKey = "urn:ibm:params:oauth:grant-type:apikey"
	// scope is what IAM grants to an API key exchange.
	scope = "ibm openid"
	// signatureSize is the length of an RS256 signature with a 2048-bit key.
	signatureSize = 256
)

// tokenHeader is the first segment of a JWT.
type tokenHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
}

// tokenClaims is the second segment of a JWT: the claims IAM puts in an
// access token issued for a service ID's API key.
type tokenClaims struct {
	IAMID     string `json:"iam_id"`
	ID        string `json:"id"`
	RealmID   string `json:"realmid"`
	JTI       string `json:"jti"`
	Sub       string `json:"sub"`
	SubType   string `json:"sub_type"`
	IssuedAt  int64  `json:"iat"`
	Expiry    int64  `json:"exp"`
	Issuer    string `json:"iss"`
	GrantType string `json:"grant_type"`
	Scope     string `json:"scope"`
	ClientID  string `json:"client_id"`
}

// identity is who an API key belongs to. The same key always maps to the
// same identity, as it would with real IAM.
type identity struct {
	serviceID string
	imsUserID int64
}

// identify derives a stable, made-up identity from an API key. The key itself
// never appears in a token.
func identify(apiKey string) identity {
	sum := sha256.Sum256([]byte(apiKey))
	h := hex.EncodeToString(sum[:16])
	id := "ServiceId-" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	n := binary.BigEndian.Uint32(sum[16:20])
	return identity{serviceID: id, imsUserID: 1_000_000 + int64(n%9_000_000)}
}

// mint returns a new JWT-shaped access token for who, valid from iat to exp.
// Its signature is random bytes: nothing can verify it, but every token is
// unique and has the shape clients expect.
func mint(who identity, iat, exp time.Time) string {
	header := tokenHeader{Alg: "RS256", Typ: "JWT", Kid: keyID}
	claims := tokenClaims{
		IAMID:     "iam-" + who.serviceID,
		ID:        "iam-" + who.serviceID,
		RealmID:   "iam",
		JTI:       rand.Text(),
		Sub:       who.serviceID,
		SubType:   "ServiceId",
		IssuedAt:  iat.Unix(),
		Expiry:    exp.Unix(),
		Issuer:    issuer,
		GrantType: grantAPIKey,
		Scope:     scope,
		ClientID:  "default",
	}
	sig := make([]byte, signatureSize)
	rand.Read(sig) // never fails since Go 1.24
	return segment(header) + "." + segment(claims) + "." + encode(sig)
}

// segment returns v as base64url-encoded JSON. It is only called with the
// structs above, which always marshal.
func segment(v any) string {
	b, _ := json.Marshal(v)
	return encode(b)
}

// encode is the unpadded base64url encoding JWTs use.
func encode(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}
