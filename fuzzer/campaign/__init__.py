"""Campaigns: many test cases over isolated worker processes.

The package imports nothing itself: its isolation layer (supervisor, worker, jobs) sits below the
probe, the minimizer and `gen --check`, which run their own jobs on it, while a campaign
(fuzzer.campaign.campaign) sits above them all.
"""
