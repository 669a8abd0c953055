package kubeconfig

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Credential values that must never appear in an error message.
const (
	secretToken    = "s3cr3t-t0ken-value-do-not-print"
	secretPassword = "s3cr3t-passw0rd-do-not-print"
)

var certPEM, keyPEM = selfSigned()

func selfSigned() ([]byte, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IsCA:         true,
		KeyUsage:     x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// base returns a valid kubeconfig: context "prod" (current) on cluster "prod" with user
// "prod-admin" (token), and context "dr" on cluster "dr" with user "dr-admin" (client cert).
func base() *clientcmdapi.Config {
	c := clientcmdapi.NewConfig()
	c.Clusters["prod"] = &clientcmdapi.Cluster{Server: "https://prod.example:6443", CertificateAuthorityData: certPEM}
	c.Clusters["dr"] = &clientcmdapi.Cluster{Server: "https://dr.example:6443", CertificateAuthorityData: certPEM}
	c.AuthInfos["prod-admin"] = &clientcmdapi.AuthInfo{Token: secretToken}
	c.AuthInfos["dr-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}
	c.Contexts["prod"] = &clientcmdapi.Context{Cluster: "prod", AuthInfo: "prod-admin"}
	c.Contexts["dr"] = &clientcmdapi.Context{Cluster: "dr", AuthInfo: "dr-admin"}
	c.CurrentContext = "prod"
	return c
}

func write(t *testing.T, c *clientcmdapi.Config) []byte {
	t.Helper()
	data, err := clientcmd.Write(*c)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLoad(t *testing.T) {
	type kind int
	const (
		ok kind = iota
		invalid
		rejected
	)
	tests := []struct {
		name    string
		mutate  func(c *clientcmdapi.Config)
		raw     []byte // used instead of the mutated base config when set
		context string
		policy  Policy
		want    kind
		// wantMsg is a substring of the error; for ok cases, the expected Host.
		wantMsg string
	}{
		{name: "token user", want: ok, wantMsg: "https://prod.example:6443"},
		{name: "client certificate user in named context", context: "dr", want: ok, wantMsg: "https://dr.example:6443"},
		{name: "current-context switched", mutate: func(c *clientcmdapi.Config) { c.CurrentContext = "dr" }, want: ok, wantMsg: "https://dr.example:6443"},
		{name: "unknown context", context: "staging", want: invalid, wantMsg: `no context "staging"; available contexts: dr, prod`},
		{name: "no current-context", mutate: func(c *clientcmdapi.Config) { c.CurrentContext = "" }, want: invalid, wantMsg: "no current-context: set spec.context to one of dr, prod"},
		{name: "empty", raw: []byte{}, want: invalid, wantMsg: "kubeconfig is empty"},
		{name: "whitespace", raw: []byte("  \n\t\n"), want: invalid, wantMsg: "kubeconfig is empty"},
		{name: "garbage", raw: []byte("{{{ this is : not: yaml"), want: invalid, wantMsg: "cannot be parsed"},
		{name: "wrong types", raw: []byte("apiVersion: v1\nkind: Config\nusers: " + secretToken + "\n"), want: invalid, wantMsg: "cannot be parsed"},
		{name: "missing server", mutate: func(c *clientcmdapi.Config) { c.Clusters["prod"].Server = "" }, want: invalid, wantMsg: "clusters[prod].server is empty"},
		{name: "server not a URL", mutate: func(c *clientcmdapi.Config) { c.Clusters["prod"].Server = "prod.example" }, want: invalid, wantMsg: "clusters[prod].server is not an http(s) URL"},
		{name: "context without cluster entry", mutate: func(c *clientcmdapi.Config) { delete(c.Clusters, "prod") }, want: invalid, wantMsg: `refers to cluster "prod", which the kubeconfig does not define`},
		{name: "context without user entry", mutate: func(c *clientcmdapi.Config) { delete(c.AuthInfos, "prod-admin") }, want: invalid, wantMsg: `refers to user "prod-admin", which the kubeconfig does not define`},
		{name: "context naming no user", mutate: func(c *clientcmdapi.Config) { c.Contexts["prod"].AuthInfo = "" }, want: invalid, wantMsg: "contexts[prod] names no user"},
		{name: "broken client certificate", context: "dr", mutate: func(c *clientcmdapi.Config) {
			c.AuthInfos["dr-admin"].ClientCertificateData = []byte("not a certificate")
		}, want: invalid, wantMsg: "contexts[dr]: TLS settings unusable"},
		{name: "broken CA", mutate: func(c *clientcmdapi.Config) { c.Clusters["prod"].CertificateAuthorityData = []byte("junk") }, want: invalid, wantMsg: "contexts[prod]: TLS settings unusable"},

		{name: "exec", mutate: func(c *clientcmdapi.Config) {
			c.AuthInfos["prod-admin"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{Command: "aws", APIVersion: "client.authentication.k8s.io/v1", InteractiveMode: clientcmdapi.NeverExecInteractiveMode}}
		}, want: rejected, wantMsg: "users[prod-admin].exec: exec plugins are not allowed (start the controller with --allow-kubeconfig-exec to allow them)"},
		{name: "exec allowed", policy: Policy{AllowExec: true}, mutate: func(c *clientcmdapi.Config) {
			c.AuthInfos["prod-admin"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{Command: "aws", APIVersion: "client.authentication.k8s.io/v1", InteractiveMode: clientcmdapi.NeverExecInteractiveMode}}
		}, want: ok, wantMsg: "https://prod.example:6443"},
		{name: "auth-provider", mutate: func(c *clientcmdapi.Config) {
			c.AuthInfos["prod-admin"] = &clientcmdapi.AuthInfo{AuthProvider: &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{"id-token": secretToken}}}
		}, want: rejected, wantMsg: "users[prod-admin].auth-provider: auth-provider plugins are not allowed"},
		// Allowed by the policy, but the binary registers no auth-provider plugin.
		{name: "auth-provider allowed but unknown", policy: Policy{AllowExec: true}, mutate: func(c *clientcmdapi.Config) {
			c.AuthInfos["prod-admin"] = &clientcmdapi.AuthInfo{AuthProvider: &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{"id-token": secretToken}}}
		}, want: invalid, wantMsg: `no Auth Provider found for name "oidc"`},
		{name: "certificate-authority path", mutate: func(c *clientcmdapi.Config) {
			c.Clusters["prod"].CertificateAuthorityData = nil
			c.Clusters["prod"].CertificateAuthority = "/etc/kubernetes/pki/ca.crt"
		}, want: rejected, wantMsg: "clusters[prod].certificate-authority: file paths are not allowed"},
		{name: "client-certificate path", context: "dr", mutate: func(c *clientcmdapi.Config) {
			c.AuthInfos["dr-admin"].ClientCertificateData = nil
			c.AuthInfos["dr-admin"].ClientCertificate = "/home/me/.kube/client.crt"
		}, want: rejected, wantMsg: "users[dr-admin].client-certificate: file paths are not allowed"},
		{name: "client-key path", context: "dr", mutate: func(c *clientcmdapi.Config) {
			c.AuthInfos["dr-admin"].ClientKeyData = nil
			c.AuthInfos["dr-admin"].ClientKey = "/home/me/.kube/client.key"
		}, want: rejected, wantMsg: "users[dr-admin].client-key: file paths are not allowed"},
		{name: "tokenFile", mutate: func(c *clientcmdapi.Config) {
			c.AuthInfos["prod-admin"] = &clientcmdapi.AuthInfo{TokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token"}
		}, want: rejected, wantMsg: "users[prod-admin].tokenFile: file paths are not allowed"},
		{name: "insecure-skip-tls-verify", mutate: func(c *clientcmdapi.Config) {
			c.Clusters["prod"].CertificateAuthorityData = nil
			c.Clusters["prod"].InsecureSkipTLSVerify = true
		}, want: rejected, wantMsg: "clusters[prod].insecure-skip-tls-verify: disabling TLS verification is not allowed"},
		{name: "insecure-skip-tls-verify allowed", policy: Policy{AllowInsecureTLS: true}, mutate: func(c *clientcmdapi.Config) {
			c.Clusters["prod"].CertificateAuthorityData = nil
			c.Clusters["prod"].InsecureSkipTLSVerify = true
		}, want: ok, wantMsg: "https://prod.example:6443"},
		{name: "plain http", mutate: func(c *clientcmdapi.Config) {
			c.Clusters["prod"].CertificateAuthorityData = nil
			c.Clusters["prod"].Server = "http://prod.example:8080"
		}, want: rejected, wantMsg: "clusters[prod].server: plain http would send credentials unencrypted"},
		{name: "basic auth", mutate: func(c *clientcmdapi.Config) {
			c.AuthInfos["prod-admin"] = &clientcmdapi.AuthInfo{Username: "admin", Password: secretPassword}
		}, want: rejected, wantMsg: "users[prod-admin].username/password: basic authentication is not allowed"},
		{name: "password only", mutate: func(c *clientcmdapi.Config) {
			c.AuthInfos["prod-admin"] = &clientcmdapi.AuthInfo{Password: secretPassword}
		}, want: rejected, wantMsg: "basic authentication is not allowed"},
		{name: "credentials in server URL", mutate: func(c *clientcmdapi.Config) {
			c.Clusters["prod"].Server = "https://admin:" + secretPassword + "@prod.example:6443"
		}, want: rejected, wantMsg: "clusters[prod].server: credentials in the server URL are not allowed"},
		{name: "unselected context is not checked", mutate: func(c *clientcmdapi.Config) {
			c.AuthInfos["dr-admin"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{Command: "evil"}}
			c.Clusters["dr"].CertificateAuthority = "/etc/passwd"
		}, want: ok, wantMsg: "https://prod.example:6443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.raw
			if data == nil {
				c := base()
				if tt.mutate != nil {
					tt.mutate(c)
				}
				data = write(t, c)
			}
			cfg, err := Load(data, tt.context, tt.policy)
			switch tt.want {
			case ok:
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if cfg.Host != tt.wantMsg {
					t.Errorf("Host = %q, want %q", cfg.Host, tt.wantMsg)
				}
				return
			case invalid:
				if !IsInvalid(err) || IsRejected(err) {
					t.Fatalf("want *InvalidError, got %T: %v", err, err)
				}
			case rejected:
				if !IsRejected(err) || IsInvalid(err) {
					t.Fatalf("want *RejectedError, got %T: %v", err, err)
				}
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("error %q does not contain %q", msg, tt.wantMsg)
			}
			assertNoCredentials(t, msg)
		})
	}
}

func assertNoCredentials(t *testing.T, msg string) {
	t.Helper()
	for _, s := range []string{secretToken, secretToken[:7], secretPassword, string(keyPEM), base64.StdEncoding.EncodeToString(keyPEM)[:40]} {
		if strings.Contains(msg, s) {
			t.Errorf("error message %q contains credential material %q", msg, s)
		}
	}
}

func TestLoadCredentials(t *testing.T) {
	cfg, err := Load(write(t, base()), "", Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BearerToken != secretToken {
		t.Errorf("BearerToken not taken from the kubeconfig")
	}
	cfg, err = Load(write(t, base()), "dr", Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.CertData) != string(certPEM) || string(cfg.KeyData) != string(keyPEM) || string(cfg.CAData) != string(certPEM) {
		t.Errorf("client certificate, key or CA not taken from the kubeconfig")
	}
}

func TestRejectedErrorNamesField(t *testing.T) {
	err := &RejectedError{Field: "users[x].exec", Reason: "no"}
	if got, want := err.Error(), "users[x].exec: no"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// FuzzLoad: whatever the bytes, Load does not panic, and every error is either invalid or
// rejected and carries no token from the input.
func FuzzLoad(f *testing.F) {
	valid, err := clientcmd.Write(*base())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid, "")
	f.Add([]byte("apiVersion: v1\nkind: Config\n"), "dr")
	f.Add([]byte("users: "+secretToken), "")
	f.Fuzz(func(t *testing.T, data []byte, context string) {
		_, err := Load(data, context, Policy{})
		if err == nil {
			return
		}
		if !IsInvalid(err) && !IsRejected(err) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
		if strings.Contains(err.Error(), secretToken[:7]) && !strings.Contains(context, secretToken[:7]) {
			t.Fatalf("error leaks token: %v", err)
		}
	})
}
