"""Consume jobs from the connected queue and store a result per job in the bucket."""

import json
import os
import signal
import time

import boto3

running = True


def stop(*_):
    global running
    running = False
    print("SIGTERM received, finishing the current job", flush=True)


def main() -> None:
    signal.signal(signal.SIGTERM, stop)
    endpoint = os.environ.get("AWS_ENDPOINT_URL")  # set when running on the local AWS
    sqs = boto3.client("sqs", endpoint_url=endpoint)
    s3 = boto3.client("s3", endpoint_url=endpoint)
    queue_url = os.environ["STP_JOBS_URL"]
    bucket = os.environ["STP_RESULTS_NAME"]
    print(f"worker started, polling {queue_url}", flush=True)
    while running:
        resp = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=5)
        for msg in resp.get("Messages", []):
            job = json.loads(msg["Body"])
            print(f"processing job {job.get('id')}", flush=True)
            s3.put_object(Bucket=bucket, Key=f"results/{job.get('id')}.json", Body=json.dumps({"done": True, "job": job}))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=msg["ReceiptHandle"])
            print(f"job {job.get('id')} done", flush=True)
        time.sleep(0.1)


if __name__ == "__main__":
    main()
