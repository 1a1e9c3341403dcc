from carbonid_kit.migrations import run_env
from carbonid_resolver.db import Base

run_env(Base.metadata)
