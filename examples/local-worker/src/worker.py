"""Take messages from the connected queue (STP_TASKS_URL), log what each one says, delete it.

On AWS boto3 finds the queue through the task role; on the local AWS the runner also sets
AWS_ENDPOINT_URL, so the same code talks to the local server. Stops cleanly on SIGTERM.
"""

import json
import os
import signal
import sys

import boto3

running = True


def stop(signum, frame):
    global running
    running = False
    print("SIGTERM received: finishing the current batch, then exiting", flush=True)


def describe(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return f"text {body!r}"
    if isinstance(data, dict):
        return "job " + ", ".join(f"{k}={v}" for k, v in sorted(data.items()))
    return f"json {data!r}"


def main() -> int:
    signal.signal(signal.SIGTERM, stop)
    queue_url = os.environ.get("STP_TASKS_URL")
    if not queue_url:
        print("STP_TASKS_URL is not set: is the worker connected to the queue (connectTo: [tasks])?",
              file=sys.stderr, flush=True)
        return 2
    sqs = boto3.client("sqs")  # AWS_ENDPOINT_URL (local AWS) is honoured by boto3 itself
    print(f"{os.environ.get('WORKER_GREETING', 'worker')}: polling {queue_url}", flush=True)
    handled = 0
    while running:
        reply = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in reply.get("Messages", []):
            handled += 1
            print(f"received message {message['MessageId']}: {describe(message['Body'])}", flush=True)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            print(f"deleted message {message['MessageId']} ({handled} handled so far)", flush=True)
    print(f"worker stopped after {handled} messages", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
