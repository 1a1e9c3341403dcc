from carbonid_metering.db import Base

from carbonid_kit.migrations import run_env

run_env(Base.metadata)
