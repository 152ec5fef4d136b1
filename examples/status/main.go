// Command status points the official Alibaba Cloud Go SDK at ackup and
// prints a cluster's GetUpgradeStatus. It is the example of README.md.
//
//	go run ./examples/status CLUSTER_ID
package main

import (
	"fmt"
	"os"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: status CLUSTER_ID")
		os.Exit(2)
	}
	endpoint := "127.0.0.1:8080"
	if e := os.Getenv("ACKUP_ENDPOINT"); e != "" {
		endpoint = e
	}
	client, err := cs.NewClient(&openapiutil.Config{
		AccessKeyId:     dara.String(os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID")),
		AccessKeySecret: dara.String(os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")),
		Endpoint:        dara.String(endpoint), // ackup instead of cs.<region>.aliyuncs.com
		Protocol:        dara.String("http"),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	resp, err := client.GetUpgradeStatus(dara.String(os.Args[1]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("status=%q upgrade_step=%q error_message=%q\n",
		dara.StringValue(resp.Body.Status), dara.StringValue(resp.Body.UpgradeStep), dara.StringValue(resp.Body.ErrorMessage))
}
