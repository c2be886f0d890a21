"""The Microsoft Teams adapter (Bot Framework). Every botbuilder import of Flotilla lives in here.

botbuilder-python is archived upstream: keeping it behind this package means a replacement SDK
touches nothing else. The adapter only translates: activities in, neutral commands to the shared
Conversation, neutral replies out as Teams messages and Adaptive Cards.
"""
