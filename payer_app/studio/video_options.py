"""The named settings of ``generate video`` (no imports: the command line lists them without loading
numpy or OpenCV). What each one does is in ``payer_app.studio.video``."""

MOTIONS = ("handheld", "sweep", "still")
LIGHTS = ("normal", "dim", "bright", "flicker", "glare")
BLURS = ("none", "soft", "strong", "motion")
