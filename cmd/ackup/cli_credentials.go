package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Environment variables the client reads, as Alibaba Cloud's SDKs and the
// aliyun CLI name them.
const (
	envAccessKeyID     = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	envAccessKeySecret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	envSecurityToken   = "ALIBABA_CLOUD_SECURITY_TOKEN"
	envProfile         = "ALIBABA_CLOUD_PROFILE"
)

// credentials is an AccessKey pair (with an STS token when it is a
// temporary one), where it came from, and the region its profile names.
type credentials struct {
	keyID, secret, token string
	region               string
	source               string // for messages: "environment" or "profile NAME (PATH)"
}

// aliyunConfig is the aliyun CLI's config file (~/.aliyun/config.json); only
// the fields ackup uses are decoded.
type aliyunConfig struct {
	Current  string          `json:"current"`
	Profiles []aliyunProfile `json:"profiles"`
}

// aliyunProfile is one profile of the aliyun CLI's config file.
type aliyunProfile struct {
	Name            string `json:"name"`
	Mode            string `json:"mode"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	StsToken        string `json:"sts_token"`
	RegionID        string `json:"region_id"`
}

// resolveCredentials finds the credentials to sign with:
//
//  1. the profile named by --profile, when given, from the config file;
//  2. else ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET
//     (with ALIBABA_CLOUD_SECURITY_TOKEN when set);
//  3. else the profile named by ALIBABA_CLOUD_PROFILE, or the config file's
//     current profile, when the config file exists.
//
// configPath "" means ~/.aliyun/config.json.
func resolveCredentials(profile, configPath string, getenv func(string) string) (credentials, error) {
	if configPath == "" {
		home, err := os.UserHomeDir()
		if err == nil {
			configPath = filepath.Join(home, ".aliyun", "config.json")
		}
	}
	if profile != "" {
		return profileCredentials(configPath, profile)
	}
	if id, secret := getenv(envAccessKeyID), getenv(envAccessKeySecret); id != "" && secret != "" {
		return credentials{keyID: id, secret: secret, token: getenv(envSecurityToken), source: "environment"}, nil
	}
	if configPath != "" {
		if _, err := os.Stat(configPath); err == nil {
			return profileCredentials(configPath, getenv(envProfile))
		}
	}
	return credentials{}, fmt.Errorf("no credentials: set %s and %s, or configure a profile in %s (for example with 'aliyun configure') and pass --profile",
		envAccessKeyID, envAccessKeySecret, displayPath(configPath))
}

// profileCredentials reads the named profile (the file's current one when
// name is "") from the aliyun CLI config file at path.
func profileCredentials(path, name string) (credentials, error) {
	if path == "" {
		return credentials{}, errors.New("no config file: pass --config-path")
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return credentials{}, fmt.Errorf("config file %s does not exist; create it with 'aliyun configure' or use %s and %s", displayPath(path), envAccessKeyID, envAccessKeySecret)
	}
	if err != nil {
		return credentials{}, fmt.Errorf("read config file: %w", err)
	}
	var cfg aliyunConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return credentials{}, fmt.Errorf("config file %s is not valid JSON: %v", displayPath(path), err)
	}
	if name == "" {
		name = cfg.Current
	}
	if name == "" {
		name = "default"
	}
	var names []string
	for _, p := range cfg.Profiles {
		if p.Name != name {
			names = append(names, p.Name)
			continue
		}
		return p.credentials(path)
	}
	return credentials{}, fmt.Errorf("profile %q is not in %s (profiles: %s)", name, displayPath(path), strings.Join(names, ", "))
}

// credentials turns a profile into credentials; only the modes that carry
// the keys themselves are supported.
func (p aliyunProfile) credentials(path string) (credentials, error) {
	c := credentials{keyID: p.AccessKeyID, secret: p.AccessKeySecret, region: p.RegionID,
		source: fmt.Sprintf("profile %s (%s)", p.Name, displayPath(path))}
	switch p.Mode {
	case "AK", "":
	case "StsToken":
		if p.StsToken == "" {
			return credentials{}, fmt.Errorf("profile %s has mode StsToken but no sts_token", p.Name)
		}
		c.token = p.StsToken
	default:
		return credentials{}, fmt.Errorf("profile %s uses mode %s; ackup supports the modes AK and StsToken (or set %s and %s)",
			p.Name, p.Mode, envAccessKeyID, envAccessKeySecret)
	}
	if c.keyID == "" || c.secret == "" {
		return credentials{}, fmt.Errorf("profile %s has no access_key_id or access_key_secret", p.Name)
	}
	return c, nil
}

// displayPath shortens a path under the home directory to ~/...
func displayPath(path string) string {
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		if rest, ok := strings.CutPrefix(path, home+string(filepath.Separator)); ok {
			return "~/" + rest
		}
	}
	return path
}
