class InvalidValue(ValueError):
    """A user-supplied value was rejected; str(e) is a Chinese message fit to show the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
