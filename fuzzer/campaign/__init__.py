"""Campaigns: many test cases over isolated worker processes."""
from fuzzer.campaign.campaign import CampaignOptions, run_campaign
from fuzzer.campaign.schedule import FairShare
from fuzzer.campaign.supervisor import Supervisor

__all__ = ["CampaignOptions", "FairShare", "Supervisor", "run_campaign"]
