package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

const (
	// generationPath is WatsonX's text generation endpoint.
	generationPath = "/ml/v1/text/generation"
	// apiVersion is the version date WatsonX requires on every call.
	apiVersion = "2023-05-29"
	// maxReply bounds how much of a reply is read.
	maxReply = 1 << 20
)

// A generationRequest is the body of a text generation call.
type generationRequest struct {
	ModelID    string           `json:"model_id"`
	Input      string           `json:"input"`
	Parameters generationParams `json:"parameters"`
	ProjectID  string           `json:"project_id"`
}

// generationParams tune the generation; WatsonX accepts many more.
type generationParams struct {
	MaxNewTokens int `json:"max_new_tokens"`
}

// A generationReply is the part of WatsonX's answer the program uses.
type generationReply struct {
	Results []struct {
		GeneratedText string `json:"generated_text"`
	} `json:"results"`
}

// An errorReply is the body WatsonX sends with an error status.
type errorReply struct {
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	Trace string `json:"trace"`
}

// generate sends p to WatsonX through client and returns the first
// result's text.
func generate(ctx context.Context, client *http.Client, cfg config, p prompt) (string, error) {
	req, err := newGenerationRequest(ctx, cfg, p)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("text generation: %w", err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		return "", replyError(resp)
	}
	var reply generationReply
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxReply)).Decode(&reply); err != nil {
		return "", fmt.Errorf("text generation: decode reply: %w", err)
	}
	if len(reply.Results) == 0 {
		return "", errors.New("text generation: reply has no results")
	}
	return reply.Results[0].GeneratedText, nil
}

// newGenerationRequest builds the POST for p. Its body is a bytes.Reader,
// so http.NewRequest sets GetBody and the transport can replay it after
// a 401.
func newGenerationRequest(ctx context.Context, cfg config, p prompt) (*http.Request, error) {
	u, err := url.Parse(cfg.baseURL)
	if err != nil {
		return nil, fmt.Errorf("WATSONX_URL: %w", err)
	}
	u = u.JoinPath(generationPath)
	u.RawQuery = url.Values{"version": {apiVersion}}.Encode()

	body, err := json.Marshal(generationRequest{
		ModelID:    p.model,
		Input:      p.text,
		Parameters: generationParams{MaxNewTokens: p.maxTokens},
		ProjectID:  cfg.projectID,
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(),
		bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// replyError describes an error reply by its status and WatsonX's error
// codes and messages; it never quotes the raw body.
func replyError(resp *http.Response) error {
	var reply errorReply
	_ = json.NewDecoder(io.LimitReader(resp.Body, maxReply)).Decode(&reply)
	var details []string
	for _, e := range reply.Errors {
		details = append(details, e.Code+": "+e.Message)
	}
	msg := fmt.Sprintf("text generation: WatsonX replied %s", resp.Status)
	if len(details) > 0 {
		msg += ": " + strings.Join(details, "; ")
	}
	if reply.Trace != "" {
		msg += " (trace " + reply.Trace + ")"
	}
	return errors.New(msg)
}
