import SluiceCore
import SluiceSimulator
print("sluice")
